using System.Runtime.InteropServices;
using SockCat.Internal.Interop;

namespace SockCat.Server.Transport;

/// <summary>Accepting: the shared listeners in this loop's epoll set, admission, and a new connection's start.</summary>
internal sealed unsafe partial class EpollLoop
{
    // Accepts per readiness event: enough to drain a burst quickly, few enough that one loop does not take a whole
    // 15,000-connect burst while the others sleep (the listener stays readable, so the next wait comes back at once).
    private const int AcceptBatch = 64;
    private const int OutOfFilesPauseMs = 100;

    // How soon a loop asks ServerOptions.AcceptGate again after it said no.
    private const int AcceptGatePauseMs = 5;

    private void SetAccepting(bool on)
    {
        if (_accepting == on)
        {
            return;
        }

        foreach (var listener in _listeners)
        {
            // EPOLLEXCLUSIVE cannot be combined with EPOLL_CTL_MOD, so pausing is a delete and resuming an add.
            var ev = new LinuxSockets.EpollEvent
            {
                Events = LinuxSockets.EPOLLIN | LinuxSockets.EPOLLEXCLUSIVE,
                Data = (KindListener << 32) | (uint)listener.Index,
            };
            LinuxSockets.EpollCtl(_epollFd, on ? LinuxSockets.EPOLL_CTL_ADD : LinuxSockets.EPOLL_CTL_DEL, listener.Fd, &ev);
        }

        _accepting = on;
    }

    private void OnAcceptable(EpollListener listener)
    {
        const int addressCapacity = 128; // sizeof(struct sockaddr_storage)
        var address = stackalloc byte[addressCapacity];
        for (var i = 0; i < AcceptBatch && _accepting; i++)
        {
            if (_single && _count > 0)
            {
                // The seed's first server: the next client waits in the backlog until this one leaves.
                SetAccepting(false);
                return;
            }

            if (_acceptGate is not null && !_acceptGate())
            {
                SetAccepting(false);
                _acceptResumeAt = Now + AcceptGatePauseMs;
                return;
            }

            var length = addressCapacity;
            var fd = LinuxSockets.Accept4(listener.Fd, address, &length, LinuxSockets.SOCK_NONBLOCK | LinuxSockets.SOCK_CLOEXEC);
            if (fd < 0)
            {
                var errno = LinuxSockets.LastError;
                switch (errno)
                {
                    case LinuxSockets.EAGAIN:
                        return;
                    case LinuxSockets.EINTR or LinuxSockets.ECONNABORTED or 71 /* EPROTO */:
                        continue;
                    case LinuxSockets.EMFILE or LinuxSockets.ENFILE or LinuxSockets.ENOBUFS or LinuxSockets.ENOMEM:
                        // Accepting again at once would spin: the pending connection stays readable on the listener.
                        // Pause briefly; connections that close meanwhile free descriptors.
                        ServerLog.OutOfFileDescriptors(Host.Logger, Marshal.GetPInvokeErrorMessage(errno), OutOfFilesPauseMs);
                        SetAccepting(false);
                        _acceptResumeAt = Now + OutOfFilesPauseMs;
                        return;
                    default:
                        ServerLog.AcceptFailed(Host.Logger, listener.Url.ToString(), Marshal.GetPInvokeErrorMessage(errno));
                        return;
                }
            }

            Accepted(listener, fd, address, length);
        }
    }

    private void Accepted(EpollListener listener, int fd, byte* address, int length)
    {
        var peer = listener.IsUnix ? PeerAddress.Unix(PeerPid(fd)) : PeerAddress.FromSockAddr(address, length);
        var admission = Host.Admit(listener.Url, peer, out var count);
        if (admission != Admission.Admitted)
        {
            if (admission == Admission.Full)
            {
                var message = Host.ServerFullMessage;
                fixed (byte* p = message)
                {
                    LinuxSockets.Send(fd, p, message.Length, LinuxSockets.MSG_NOSIGNAL | LinuxSockets.MSG_DONTWAIT);
                }
            }

            LinuxSockets.Close(fd);
            return;
        }

        if (!listener.IsUnix)
        {
            // Replies are written whole, once per read: Nagle would only hold the next small reply back by a round trip.
            LinuxSockets.SetIntOption(fd, LinuxSockets.IPPROTO_TCP, LinuxSockets.TCP_NODELAY, 1);
        }

        var generation = _nextGeneration++;
        if (_nextGeneration < 2)
        {
            _nextGeneration = 2;
        }

        var connection = new EpollConnection(this, listener.Binding, fd, generation, Host.Registry.NextId(), peer);
        if (fd >= _byFd.Length)
        {
            Array.Resize(ref _byFd, Math.Max(_byFd.Length * 2, fd + 1));
        }

        _byFd[fd] = connection;
        _count++;
        Host.Opened(connection, count);
        connection.Start();
    }

    private static int PeerPid(int fd)
    {
        LinuxSockets.UCred credentials;
        var length = sizeof(LinuxSockets.UCred);
        return LinuxSockets.GetSockOpt(fd, LinuxSockets.SOL_SOCKET, LinuxSockets.SO_PEERCRED, &credentials, &length) == 0
            ? credentials.Pid
            : 0;
    }
}
