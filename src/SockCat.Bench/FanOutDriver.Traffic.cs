using System.Diagnostics;
using System.Runtime.InteropServices;
using SockCat.Internal.Interop;

namespace SockCat.Bench;

// The hot path: lines out, bytes in, each line delivered; nothing here allocates, locks or calls a subclass but once per read.
internal abstract unsafe partial class FanOutDriver
{
    private void SendReady()
    {
        while (_sending && _ready.TryDequeue(out var client))
        {
            client.Queued = false;
            while (client.InFlight < _window && Errors.Total == 0)
            {
                SendLine(client, client.NextSeq++);
            }
        }
    }

    /// <summary>Sends the lines due by <paramref name="elapsed"/> ticks at the offered rate, one user after another.</summary>
    private void SendPaced(long elapsed)
    {
        var due = (long)(elapsed / (double)Stopwatch.Frequency * _lineRate * _clients.Count);
        while (_paced < due && Errors.Total == 0)
        {
            var client = _clients[(int)(_paced++ % _clients.Count)];
            if (client.InFlight < _window)
            {
                SendLine(client, client.NextSeq++);
            }
            else if (_measuring)
            {
                _behind++;
            }
        }
    }

    private void SendLine(Client client, long seq)
    {
        var wire = client.Wire;
        var line = wire.AsSpan(client.LineAt, LineSize);
        FanOutLine.Format(line, client.Index, seq, Stopwatch.GetTimestamp());
        if (client.Crlf)
        {
            // CRLF for the line's LF: the wire has the one byte more.
            line[^1] = (byte)'\r';
            wire[^1] = (byte)'\n';
        }

        if (seq > 0)
        {
            client.InFlight++;
        }

        Send(client, wire);
    }

    /// <summary>Sends <paramref name="bytes"/> in one write, or counts the client failed.</summary>
    protected void Send(Client client, ReadOnlySpan<byte> bytes)
    {
        fixed (byte* p = bytes)
        {
            var n = LinuxSockets.Send(client.Fd, p, bytes.Length, LinuxSockets.MSG_NOSIGNAL);
            if (n == bytes.Length)
            {
                return;
            }

            if (n < 0 && LinuxSockets.LastError != LinuxSockets.EAGAIN)
            {
                Fail(client, $"send: {Marshal.GetPInvokeErrorMessage(LinuxSockets.LastError)}");
                return;
            }

            // The server is not reading this client: it is a broker's or chat server's business to read, so count it and stop.
            Fail(client, $"send would block (the server took {Math.Max(0, n)} of {bytes.Length} bytes)");
        }
    }

    /// <summary>Reads what the server has sent, waiting at most <paramref name="timeoutMs"/> for it.</summary>
    protected void Poll(int timeoutMs)
    {
        var events = stackalloc LinuxSockets.EpollEvent[MaxEvents];
        var n = LinuxSockets.EpollWait(_epollFd, events, MaxEvents, timeoutMs);
        for (var i = 0; i < n; i++)
        {
            OnReadable(_clients[(int)events[i].Data]);
        }
    }

    private void OnReadable(Client client)
    {
        fixed (byte* buffer = _receive)
        {
            var kept = client.PartialLength;
            client.Partial.AsSpan(0, kept).CopyTo(_receive);
            var n = LinuxSockets.Recv(client.Fd, buffer + kept, ReceiveBufferSize - kept, 0);
            if (n <= 0)
            {
                if (n < 0 && LinuxSockets.LastError == LinuxSockets.EAGAIN)
                {
                    return;
                }

                Fail(client, n == 0 ? "the server closed the connection" : $"recv: {Marshal.GetPInvokeErrorMessage(LinuxSockets.LastError)}");
                return;
            }

            var rest = OnReceived(client, _receive.AsSpan(0, kept + (int)n), Stopwatch.GetTimestamp());
            rest.CopyTo(client.Partial);
            client.PartialLength = rest.Length;
        }
    }

    /// <summary>
    /// Line <paramref name="seq"/> of <paramref name="sender"/>, another member of <paramref name="receiver"/>'s room, has
    /// arrived (<paramref name="length"/> bytes as received): a hello joins the receiver; any other must be the next due
    /// from that sender (false, counted and noted, if not). It is counted, its latency recorded while measuring, and once it
    /// has reached the whole room its sender may send another.
    /// </summary>
    protected bool Deliver(Client receiver, int sender, long seq, long sentAt, int length, long now)
    {
        if (seq == 0)
        {
            if (!receiver.Joined)
            {
                receiver.Joined = true;
                _hellos++;
            }

            return true;
        }

        var from = _clients[sender];
        var expected = receiver.Expected;
        if (seq != expected[from.Place])
        {
            Errors.Verify++;
            Errors.Note($"client {receiver.Index} received line {seq} of client {sender} where {expected[from.Place]} was due (a line lost, doubled or reordered)");
            return false;
        }

        expected[from.Place] = (int)seq + 1;
        _arrivals++;
        if (_measuring)
        {
            Deliveries++;
            DeliveredBytes += length;
            Histogram.Record((long)((now - sentAt) * (1e9 / Stopwatch.Frequency)));
        }

        var slot = (int)(seq % _window);
        if (++_reached[sender, slot] == from.RoomSize - 1)
        {
            _reached[sender, slot] = 0;
            from.InFlight--;
            if (!from.Queued)
            {
                from.Queued = true;
                _ready.Enqueue(from);
            }
        }

        return true;
    }

    private void Fail(Client client, string why)
    {
        Errors.Closed++;
        Errors.Note($"client {client.Index}: {why}");
    }
}
