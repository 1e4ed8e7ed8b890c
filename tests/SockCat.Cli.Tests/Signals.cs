using System.Runtime.InteropServices;

namespace SockCat.Cli.Tests;

/// <summary>Real signals to a real process, as a terminal's Ctrl+C (SIGINT) or a service manager's stop (SIGTERM) send them.</summary>
internal static partial class Signals
{
    public const int SigInt = 2;
    public const int SigTerm = 15;

    public static void Send(int pid, int signal)
    {
        if (Kill(pid, signal) != 0)
        {
            throw new InvalidOperationException($"kill({pid}, {signal}) failed: errno {Marshal.GetLastPInvokeError()}");
        }
    }

    [LibraryImport("libc", EntryPoint = "kill", SetLastError = true)]
    private static partial int Kill(int pid, int signal);
}
