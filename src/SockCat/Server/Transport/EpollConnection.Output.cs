using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;
using SockCat.Internal.Interop;

namespace SockCat.Server.Transport;

/// <summary>Writing: the scratch buffer and direct echo, the outbound queue, EPOLLOUT, and the waiting <see cref="WriteAsync"/> producers.</summary>
internal sealed unsafe partial class EpollConnection
{
    private void OnWritable()
    {
        while (!_output.IsEmpty)
        {
            var readable = _output.Readable;
            int sent;
            fixed (byte* p = readable)
            {
                sent = SendRaw(p, readable.Length);
            }

            if (sent <= 0)
            {
                break;
            }

            _output.Consume(sent);
            if (sent < readable.Length)
            {
                break;
            }
        }

        if (_output.IsEmpty && _pipeBytes > 0)
        {
            SpliceOut();
        }

        if (_errorReason is not null)
        {
            AfterCall();
            return;
        }

        if (_partner is not null)
        {
            ReleasePartner();
        }

        if (OutputEmpty)
        {
            _flags &= ~FlagBackpressure;
            BeginCall();
            try
            {
                _protocol?.OnWritable(this);
            }
            catch (Exception ex)
            {
                ProtocolFailed(ex);
            }

            AfterCall();
            if (_writers is { Count: > 0 } && !IsClosed)
            {
                PumpWriters();
            }

            return;
        }

        // Hysteresis: reading and waiting producers resume at half the bound, so a slow reader does not flip EPOLLIN (or
        // wake a producer) on every send.
        if (_output.Length <= MaxOutput / 2)
        {
            _flags &= ~FlagBackpressure;
            if (_writers is { Count: > 0 })
            {
                PumpWriters();
                if (IsClosed)
                {
                    return;
                }
            }
        }

        UpdateInterest();
    }

    private int SendRaw(byte* buffer, int length)
    {
        while (true)
        {
            var n = LinuxSockets.Send(Fd, buffer, length, LinuxSockets.MSG_NOSIGNAL | LinuxSockets.MSG_DONTWAIT);
            if (n >= 0)
            {
                if (n > 0)
                {
                    BytesSent += n;
                    LastActivity = _loop.Now;
                    if (Host.Traffic is not null && (_flags & FlagOutbound) == 0)
                    {
                        ObserveTraffic(Streams.TrafficDirection.Sent, BytesSent - n, new ReadOnlySpan<byte>(buffer, (int)n));
                    }
                }

                return (int)n;
            }

            var errno = LinuxSockets.LastError;
            if (errno == LinuxSockets.EINTR)
            {
                continue;
            }

            if (errno == LinuxSockets.EAGAIN)
            {
                return 0;
            }

            _errorReason = Marshal.GetPInvokeErrorMessage(errno);
            return -1;
        }
    }

    /// <summary>
    /// Feeds waiting <see cref="WriteAsync"/> calls to the output, in order, while the outbound queue has room: a chunk at
    /// a time, each small enough that the queue stays under the slow-consumer limit. A call completes once its bytes are
    /// all queued and the queue is within its bound; otherwise it waits for <see cref="OnWritable"/>.
    /// </summary>
    private void PumpWriters()
    {
        var writers = _writers!;
        var chunk = Math.Clamp(_loop.SlowConsumerLimit - MaxOutput, 1, EpollLoop.BufferSize);
        while (writers.TryPeek(out var writer))
        {
            if (writer.IsCompleted)
            {
                writers.Dequeue(); // cancelled
                continue;
            }

            if (IsClosed || (_flags & (FlagShutdownRequested | FlagSendShut | FlagCloseRequested)) != 0 || _abortReason is not null || _errorReason is not null)
            {
                writers.Dequeue();
                writer.Complete(false);
                continue;
            }

            while (!writer.Remaining.IsEmpty && _output.Length < MaxOutput)
            {
                var data = writer.Remaining;
                var n = Math.Min(data.Length, chunk);
                BeginCall();
                Write(data.Span[..n]);
                AfterCall();
                writer.Remaining = data[n..];
                if (IsClosed)
                {
                    return; // CloseNow failed the writers
                }
            }

            if (!writer.Remaining.IsEmpty || _output.Length > MaxOutput)
            {
                return;
            }

            writers.Dequeue();
            writer.Complete(true);
        }
    }

    private void FlushScratch()
    {
        byte* from;
        int length;
        if (_loop.DirectLength != 0)
        {
            from = _loop.Direct;
            length = _loop.DirectLength;
            _loop.DirectLength = 0;
        }
        else
        {
            from = _loop.ScratchPointer;
            length = _loop.ScratchLength;
            _loop.ScratchLength = 0;
            if (length == 0)
            {
                return;
            }
        }

        if (!_output.IsEmpty)
        {
            _output.Append(new ReadOnlySpan<byte>(from, length));
            return;
        }

        var sent = SendRaw(from, length);
        if (sent >= 0 && sent < length)
        {
            _output.Append(new ReadOnlySpan<byte>(from + sent, length - sent));
        }
    }

    /// <summary>Copies a pending direct write into the scratch buffer, so that more output can follow it there.</summary>
    private void MaterializeDirect()
    {
        var length = _loop.DirectLength;
        if (length != 0)
        {
            _loop.DirectLength = 0;
            new ReadOnlySpan<byte>(_loop.Direct, length).CopyTo(new Span<byte>(_loop.ScratchPointer, length));
            _loop.ScratchLength = length;
        }
    }

    public override Span<byte> GetSpan(int sizeHint = 0) => GetMemory(sizeHint).Span;

    public override Memory<byte> GetMemory(int sizeHint = 0)
    {
        var need = sizeHint <= 0 ? 256 : sizeHint;
        if ((_flags & (FlagClosed | FlagShutdownRequested | FlagSendShut)) != 0 || _abortReason is not null || _errorReason is not null)
        {
            return DiscardMemory(need);
        }

        if (_output.IsEmpty && ReferenceEquals(_loop.ScratchOwner, this))
        {
            MaterializeDirect();
            if (EpollLoop.BufferSize - _loop.ScratchLength >= need)
            {
                _writeTarget = TargetScratch;
                return _loop.Scratch.AsMemory(_loop.ScratchLength);
            }

            FlushScratch();
            if (_output.IsEmpty && _errorReason is null && need <= EpollLoop.BufferSize)
            {
                _writeTarget = TargetScratch;
                return _loop.Scratch.AsMemory(0);
            }

            if (_errorReason is not null)
            {
                return DiscardMemory(need);
            }
        }

        if ((long)_output.Length + need > _loop.SlowConsumerLimit)
        {
            CutAsSlowConsumer = true;
            _abortReason = Host.SlowConsumerReason;
            return DiscardMemory(need);
        }

        _writeTarget = TargetQueue;
        return _output.GetWriteMemory(need);
    }

    private Memory<byte> DiscardMemory(int need)
    {
        _writeTarget = TargetDiscard;
        return need <= _loop.Discard.Length ? _loop.Discard : new byte[need];
    }

    public override void Advance(int count)
    {
        switch (_writeTarget)
        {
            case TargetScratch:
                if ((uint)count > (uint)(EpollLoop.BufferSize - _loop.ScratchLength))
                {
                    throw new ArgumentOutOfRangeException(nameof(count));
                }

                _loop.ScratchLength += count;
                break;
            case TargetQueue:
                _output.Advance(count);
                break;
        }
    }

    public override void Write(ReadOnlySpan<byte> data)
    {
        // The echo's case, once per message: inside a call, nothing queued, no close pending, and the bytes fit the
        // scratch buffer. Skip GetMemory's Memory<byte> and its checks.
        var scratchLength = _loop.ScratchLength;
        if (ReferenceEquals(_loop.ScratchOwner, this) && _output.IsEmpty && (uint)data.Length <= (uint)(EpollLoop.BufferSize - scratchLength)
            && (_flags & (FlagClosed | FlagShutdownRequested | FlagSendShut)) == 0 && _abortReason is null && _errorReason is null)
        {
            // The first output of a call that lies in the receive buffer (an echo of what was just read) is sent from
            // there, as the C loop does: a 64 KiB copy per message was 4.7% of the server's samples when streaming.
            var at = (byte*)Unsafe.AsPointer(ref MemoryMarshal.GetReference(data));
            if (scratchLength == 0 && _loop.DirectLength == 0 && at >= _loop.ReceivePointer
                && at + data.Length <= _loop.ReceivePointer + EpollLoop.BufferSize)
            {
                _loop.Direct = at;
                _loop.DirectLength = data.Length;
                return;
            }

            MaterializeDirect();
            scratchLength = _loop.ScratchLength;
            if ((uint)data.Length <= (uint)(EpollLoop.BufferSize - scratchLength))
            {
                data.CopyTo(new Span<byte>(_loop.ScratchPointer + scratchLength, data.Length));
                _loop.ScratchLength = scratchLength + data.Length;
                return;
            }
        }

        while (!data.IsEmpty)
        {
            var span = GetSpan(Math.Min(data.Length, EpollLoop.BufferSize));
            var n = Math.Min(span.Length, data.Length);
            data[..n].CopyTo(span);
            Advance(n);
            data = data[n..];
        }
    }
}
