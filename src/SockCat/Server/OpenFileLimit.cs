using SockCat.Internal.Interop;

namespace SockCat.Server;

/// <summary>
/// The process's open-file limit, which bounds how many clients a server can hold (one descriptor each). A server
/// raises the soft limit to the hard limit at start, as nginx's worker_rlimit_nofile and redis do, since the soft
/// default (often 1024) is the PHP seed's reader's "stuck at 256 clients" wall in another form.
/// </summary>
public static unsafe class OpenFileLimit
{
    /// <summary>The soft limit now, or null where it cannot be read.</summary>
    public static long? Current
    {
        get
        {
            if (!LinuxSockets.IsSupported)
            {
                return null;
            }

            LinuxSockets.RLimit limit;
            return LinuxSockets.GetRLimit(LinuxSockets.RLIMIT_NOFILE, &limit) == 0 ? ClampLimit(limit.Current) : null;
        }
    }

    /// <summary>Raises the soft limit to the hard limit; returns (before, after), or null where there is no such limit.</summary>
    public static (long Before, long After)? RaiseToHardLimit()
    {
        if (!LinuxSockets.IsSupported)
        {
            return null;
        }

        LinuxSockets.RLimit limit;
        if (LinuxSockets.GetRLimit(LinuxSockets.RLIMIT_NOFILE, &limit) != 0)
        {
            return null;
        }

        var before = ClampLimit(limit.Current);
        if (limit.Current < limit.Max)
        {
            var raised = new LinuxSockets.RLimit { Current = limit.Max, Max = limit.Max };
            if (LinuxSockets.SetRLimit(LinuxSockets.RLIMIT_NOFILE, &raised) == 0)
            {
                return (before, ClampLimit(limit.Max));
            }
        }

        return (before, before);
    }

    /// <summary>The connections a limit allows once the server's own descriptors are set aside.</summary>
    public static int ConnectionsAllowed(long limit) => (int)Math.Clamp(limit - ServerOptions.FileDescriptorReserve, 1, int.MaxValue);

    // RLIM_INFINITY is ~0UL.
    private static long ClampLimit(ulong value) => value > int.MaxValue ? int.MaxValue : (long)value;
}
