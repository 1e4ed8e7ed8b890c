using Microsoft.Win32.SafeHandles;
using SockCat.Internal.Interop;

namespace SockCat.Server.Transport;

/// <summary>
/// The socket lent to a process (<see cref="IConnection.LendSocket"/>): a duplicate for it to write the peer's output
/// into directly. The socket is made blocking for the borrower; the loop's own receive and send pass MSG_DONTWAIT on
/// every call (EpollConnection.Receive.cs, EpollConnection.Output.cs), so nothing here waits.
/// </summary>
internal sealed unsafe partial class EpollConnection
{
    public override SafeFileHandle LendSocket()
    {
        if (IsClosed || (_flags & (FlagCloseRequested | FlagSendShut | FlagOutbound)) != 0 || _relay is not null)
        {
            throw new InvalidOperationException($"connection {Id} is closing or relays; its socket cannot be lent");
        }

        var copy = LinuxSockets.Fcntl(Fd, LinuxSockets.F_DUPFD_CLOEXEC, 3);
        if (copy < 0)
        {
            throw new IOException($"cannot duplicate the socket of connection {Id} (errno {LinuxSockets.LastError})");
        }

        var status = LinuxSockets.Fcntl(Fd, LinuxSockets.F_GETFL, 0);
        if (status < 0 || LinuxSockets.Fcntl(Fd, LinuxSockets.F_SETFL, status & ~LinuxSockets.O_NONBLOCK) < 0)
        {
            var errno = LinuxSockets.LastError;
            LinuxSockets.Close(copy);
            throw new IOException($"cannot make the socket of connection {Id} blocking (errno {errno})");
        }

        return new SafeFileHandle(copy, ownsHandle: true);
    }
}
