using System.Diagnostics;
using System.Runtime.InteropServices;
using SockCat.Internal.Interop;

namespace SockCat.Bench;

// Opening connections: the connect rate and burst, non-blocking connect with a source address per connection, and
// what a failed or timed-out connect counts as.
internal sealed unsafe partial class BenchLoop
{
    // Opens connections while the rate and burst allow; true when more are waiting on the rate.
    private bool OpenMore()
    {
        if (_nextToOpen >= _conns.Length && _retryCount == 0)
        {
            return false;
        }

        var burstPerLoop = Math.Max(1, _options.ConnectBurst / _threads);
        var now = Stopwatch.GetTimestamp();
        long allowed = int.MaxValue;
        if (_options.ConnectRate > 0)
        {
            var ratePerLoop = Math.Max(1.0, (double)_options.ConnectRate / _threads);
            allowed = (long)(ratePerLoop * Stopwatch.GetElapsedTime(_startTicks, now).TotalSeconds) + 1 - _opened;
        }

        while (_pending < burstPerLoop && allowed > 0)
        {
            int j;
            if (_retryCount > 0)
            {
                j = _retry[_retryHead];
                _retryHead = (_retryHead + 1) % _retry.Length;
                _retryCount--;
            }
            else if (_nextToOpen < _conns.Length)
            {
                j = _nextToOpen++;
            }
            else
            {
                break;
            }

            allowed--;
            _opened++;
            if (!Open(j, now))
            {
                // The server's backlog is full (a unix socket says EAGAIN): try again on the next turn.
                break;
            }
        }

        return _nextToOpen < _conns.Length || _retryCount > 0;
    }

    private long _startTicks = Stopwatch.GetTimestamp();

    private bool Open(int j, long now)
    {
        ref var c = ref _conns[j];
        var fd = LinuxSockets.Socket(_target.Family, LinuxSockets.SOCK_STREAM | LinuxSockets.SOCK_NONBLOCK | LinuxSockets.SOCK_CLOEXEC, 0);
        if (fd < 0)
        {
            var errno = LinuxSockets.LastError;
            var hint = errno is LinuxSockets.EMFILE or LinuxSockets.ENFILE ? "; raise the open-file limit (ulimit -n) or use fewer connections" : "";
            ConnectFailed(ref c, $"socket() failed: {ErrnoText.Of(errno)}{hint}");
            return true;
        }

        c.Fd = fd;
        if (_target.Family != LinuxSockets.AF_UNIX)
        {
            LinuxSockets.SetIntOption(fd, LinuxSockets.IPPROTO_TCP, LinuxSockets.TCP_NODELAY, 1);
        }

        if (_sources.Length > 0)
        {
            // Defer the local port choice to connect(), so each source address has its own ~28,000 ephemeral ports.
            LinuxSockets.SetIntOption(fd, IPPROTO_IP, IP_BIND_ADDRESS_NO_PORT, 1);
            var source = _sources[GlobalIndex(j) % _sources.Length].Bytes;
            fixed (byte* s = source)
            {
                if (LinuxSockets.Bind(fd, s, source.Length) != 0)
                {
                    ConnectFailed(ref c, $"bind() to a source address failed: {ErrnoText.Of(LinuxSockets.LastError)}");
                    return true;
                }
            }
        }

        int rc;
        fixed (byte* a = _target.Bytes)
        {
            rc = LinuxSockets.Connect(fd, a, _target.Bytes.Length);
        }

        if (rc == 0)
        {
            c.State = State.Connecting;
            _pending++;
            c.ConnectStarted = now;
            Register(fd, j, LinuxSockets.EPOLLOUT);
            return true;
        }

        var err = LinuxSockets.LastError;
        if (err == LinuxSockets.EINPROGRESS)
        {
            c.State = State.Connecting;
            c.ConnectStarted = now;
            _pending++;
            Register(fd, j, LinuxSockets.EPOLLOUT);
            return true;
        }

        if (err == LinuxSockets.EAGAIN && _target.Family == LinuxSockets.AF_UNIX)
        {
            LinuxSockets.Close(fd);
            c.Fd = -1;
            _retry[(_retryHead + _retryCount) % _retry.Length] = j;
            _retryCount++;
            return false;
        }

        var tip = err == EADDRNOTAVAIL ? "; out of local ports: spread the connections with --sources N" : "";
        ConnectFailed(ref c, $"connect() failed: {ErrnoText.Of(err)}{tip}");
        return true;
    }

    private void Register(int fd, int j, uint events)
    {
        var ev = new LinuxSockets.EpollEvent { Events = events, Data = (ulong)j };
        LinuxSockets.EpollCtl(_epfd, LinuxSockets.EPOLL_CTL_ADD, fd, &ev);
    }

    private void Modify(int fd, int j, uint events)
    {
        var ev = new LinuxSockets.EpollEvent { Events = events, Data = (ulong)j };
        LinuxSockets.EpollCtl(_epfd, LinuxSockets.EPOLL_CTL_MOD, fd, &ev);
    }

    private void OnConnectCompleted(ref Conn c, int j)
    {
        int error = 0;
        var len = sizeof(int);
        if (LinuxSockets.GetSockOpt(c.Fd, LinuxSockets.SOL_SOCKET, LinuxSockets.SO_ERROR, &error, &len) != 0)
        {
            error = LinuxSockets.LastError;
        }

        if (error != 0)
        {
            ConnectFailed(ref c, $"connect() failed: {ErrnoText.Of(error)}");
            return;
        }

        _pending--;
        c.State = State.Open;
        Connected++;
        ConnectFinished++;
        LastConnectTicks = Stopwatch.GetTimestamp();
        Modify(c.Fd, j, LinuxSockets.EPOLLIN);

        if (_options.Mode == BenchMode.PingPong)
        {
            var now = Stopwatch.GetTimestamp();
            for (var k = 0; k < _window; k++)
            {
                IssueMessage(ref c, j, now);
            }
        }
        else if (_options.Mode == BenchMode.Stream)
        {
            Refill(ref c);
        }
        else if (_round > 0)
        {
            // Late to a check round: answer it too, so every held connection is checked.
            c.SendTarget = _round;
        }

        Flush(ref c);
    }

    private void ConnectFailed(ref Conn c, string message)
    {
        if (c.State == State.Connecting)
        {
            _pending--;
        }

        Errors.Connect++;
        Errors.Note(message);
        ConnectFinished++;
        CloseConn(ref c);
    }
}
