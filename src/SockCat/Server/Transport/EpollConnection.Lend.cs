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
    // struct tcp_info (linux/tcp.h), since Linux 4.19: tcpi_bytes_sent and tcpi_bytes_retrans, u64s at bytes 200 and 208.
    // Not tcpi_bytes_acked, which counts the FIN's sequence number once it is acknowledged.
    private const int TcpInfoSize = 256;
    private const int TcpInfoBytesSent = 200;
    private const int TcpInfoBytesRetransmitted = 208;

    private bool _lent;

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

        _lent = true;
        return new SafeFileHandle(copy, ownsHandle: true);
    }

    /// <summary>
    /// Closing a lent socket ends it for the borrower too: closing this server's descriptor alone would leave the peer
    /// connected to the borrower (whose copy keeps the socket open), so it is shut down both ways first; the borrower's
    /// next write fails (EPIPE, and SIGPIPE for a program that keeps the default), as a relayed program's would once its
    /// pipe's reader is gone. Then what the borrower sent, which never passed through <see cref="SendRaw"/>, is taken
    /// from a TCP socket's own count of the data it sent, retransmissions taken out (the connection's own included), so
    /// that the server's totals still say what went out. A unix socket keeps no such count.
    /// </summary>
    private void EndLent()
    {
        if (!_lent)
        {
            return;
        }

        LinuxSockets.Shutdown(Fd, LinuxSockets.SHUT_RDWR);
        var info = stackalloc byte[TcpInfoSize];
        var length = TcpInfoSize;
        if (LinuxSockets.GetSockOpt(Fd, LinuxSockets.IPPROTO_TCP, LinuxSockets.TCP_INFO, info, &length) == 0 && length >= TcpInfoBytesRetransmitted + sizeof(long))
        {
            BytesSent = Math.Max(BytesSent, *(long*)(info + TcpInfoBytesSent) - *(long*)(info + TcpInfoBytesRetransmitted));
        }
    }
}
