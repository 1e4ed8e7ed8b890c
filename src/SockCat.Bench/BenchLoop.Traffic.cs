using System.Diagnostics;
using System.Runtime.InteropServices;
using SockCat.Internal.Interop;

namespace SockCat.Bench;

// The epoll path's traffic on open connections: issue a message, flush, receive and verify against the pattern, and
// close a connection that failed. Nothing here allocates, locks or logs per message.
internal sealed unsafe partial class BenchLoop
{
    private void Fail(ref Conn c, string message, bool verify)
    {
        if (verify)
        {
            Errors.Verify++;
        }
        else
        {
            Errors.Closed++;
        }

        Errors.Note(message);
        if (c.State == State.Open)
        {
            Connected--;
        }

        CloseConn(ref c);
    }

    private void CloseConn(ref Conn c)
    {
        if (c.Fd >= 0)
        {
            if (_ring is not null)
            {
                // The ring's registered file and its armed recv keep the socket open past close(): shut it down so
                // the server sees the end and the recv completes, and empty the slot.
                LinuxSockets.Shutdown(c.Fd, LinuxSockets.SHUT_RDWR);
                _ring.UnregisterFile(IndexOf(ref c));
            }

            LinuxSockets.Close(c.Fd);
            c.Fd = -1;
        }

        c.State = State.Failed;
    }

    private void IssueMessage(ref Conn c, int j, long now)
    {
        if (_stopping || c.SendTarget + _size > _limitBytes)
        {
            return;
        }

        var index = c.SendTarget / _size;
        _sendTimes[(j * _window) + (int)(index % _window)] = now;
        c.SendTarget += _size;
    }

    private void Refill(ref Conn c)
    {
        if (_stopping)
        {
            return;
        }

        var target = Math.Min(c.RecvPos + _options.InFlightBytes, _limitBytes);
        if (target > c.SendTarget)
        {
            c.SendTarget = target;
        }
    }

    private void Flush(ref Conn c)
    {
        var table = BenchPattern.Pointer;
        while (c.SendPos < c.SendTarget)
        {
            var len = (int)Math.Min(c.SendTarget - c.SendPos, BenchPattern.MaxChunk);
            var start = (int)((c.SendPos + c.Offset) % BenchPattern.Period);
            var sent = LinuxSockets.Send(c.Fd, table + start, len, LinuxSockets.MSG_NOSIGNAL);
            if (sent > 0)
            {
                c.SendPos += sent;
                continue;
            }

            var errno = LinuxSockets.LastError;
            if (errno == LinuxSockets.EINTR)
            {
                continue;
            }

            if (errno == LinuxSockets.EAGAIN)
            {
                if (!c.WantOut)
                {
                    c.WantOut = true;
                    Modify(c.Fd, IndexOf(ref c), LinuxSockets.EPOLLIN | LinuxSockets.EPOLLOUT);
                }

                return;
            }

            Fail(ref c, $"send() failed after {c.SendPos} bytes: {ErrnoText.Of(errno)}", verify: false);
            return;
        }

        if (c.WantOut)
        {
            c.WantOut = false;
            Modify(c.Fd, IndexOf(ref c), LinuxSockets.EPOLLIN);
        }
    }

    private int IndexOf(ref Conn c)
        => (int)(System.Runtime.CompilerServices.Unsafe.ByteOffset(ref _conns[0], ref c) / sizeof(Conn));

    private void OnReadable(ref Conn c, int j)
    {
        var n = LinuxSockets.Recv(c.Fd, _recvBuffer, RecvSize, 0);
        if (n > 0)
        {
            OnData(ref c, j, _recvBuffer, (int)n);
            return;
        }

        if (n == 0)
        {
            Fail(ref c, $"the server closed a connection after echoing {c.RecvPos} of {c.SendPos} bytes", verify: false);
            return;
        }

        var errno = LinuxSockets.LastError;
        if (errno is LinuxSockets.EAGAIN or LinuxSockets.EINTR)
        {
            return;
        }

        Fail(ref c, $"recv() failed after {c.RecvPos} bytes: {ErrnoText.Of(errno)}", verify: false);
    }

    private void OnData(ref Conn c, int j, byte* data, int n)
    {
        var received = new ReadOnlySpan<byte>(data, n);
        var outstanding = c.SendPos + c.SendLen - c.RecvPos;
        if (n > outstanding)
        {
            Fail(ref c, $"the server echoed {n} bytes at position {c.RecvPos} when only {outstanding} were unanswered", verify: true);
            return;
        }

        var expected = BenchPattern.Slice(c.RecvPos, c.Offset, n);
        if (!received.SequenceEqual(expected))
        {
            var at = c.RecvPos + received.CommonPrefixLength(expected);
            Fail(ref c, $"echoed byte {at} of a connection differs from the byte sent", verify: true);
            return;
        }

        c.RecvPos += n;
        Bytes += n;
        if (c.SendSilent && c.RecvPos >= c.SendPos + c.SendLen)
        {
            // Every byte of the silent send came back, so it completed in full.
            c.SendPos += c.SendLen;
            c.SendLen = 0;
            c.SendSilent = false;
        }

        switch (_options.Mode)
        {
            case BenchMode.PingPong:
                var done = c.RecvPos / _size;
                if (done > c.MessagesDone)
                {
                    var now = Stopwatch.GetTimestamp();
                    do
                    {
                        if (_recording)
                        {
                            var sentAt = _sendTimes[(j * _window) + (int)(c.MessagesDone % _window)];
                            Histogram.Record((long)((now - sentAt) * _nsPerTick));
                        }

                        c.MessagesDone++;
                        Messages++;
                        IssueMessage(ref c, j, now);
                    }
                    while (c.MessagesDone < done);

                    Send(ref c, j);
                }

                break;
            case BenchMode.Stream:
                Refill(ref c);
                Send(ref c, j);
                break;
        }
    }
}
