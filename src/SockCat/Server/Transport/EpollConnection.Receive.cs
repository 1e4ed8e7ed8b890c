using System.Runtime.InteropServices;
using SockCat.Internal.Interop;

namespace SockCat.Server.Transport;

/// <summary>Reading: one recv into the loop's receive buffer (or the connection's own input queue while input is unconsumed), handed to the protocol.</summary>
internal sealed unsafe partial class EpollConnection
{
    private void OnReadable()
    {
        if (_partner is not null)
        {
            RelayReadable();
            return;
        }

        BeginCall();
        int n;
        if (_input.IsEmpty)
        {
            n = Receive(_loop.ReceivePointer, EpollLoop.BufferSize);
            if (n > 0)
            {
                Deliver(_loop.ReceiveBuffer.AsSpan(0, n), n, fromInput: false);
            }
        }
        else
        {
            var room = _loop.MaxInput - _input.Length;
            if (room <= 0)
            {
                _abortReason = $"over {_loop.MaxInput} bytes of unconsumed input";
                AfterCall();
                return;
            }

            var span = _input.GetWriteSpan(Math.Min(room, EpollLoop.BufferSize));
            fixed (byte* p = span)
            {
                n = Receive(p, Math.Min(span.Length, room));
            }

            if (n > 0)
            {
                _input.Advance(n);
                Deliver(_input.Readable, n, fromInput: true);
            }
        }

        if (n == 0)
        {
            _flags |= FlagInputEnded;
            try
            {
                _protocol!.OnInputEnded(this, _input.Readable);
            }
            catch (Exception ex)
            {
                ProtocolFailed(ex);
            }

            _input.Release();
        }

        AfterCall();
    }

    private int Receive(byte* buffer, int length)
    {
        while (true)
        {
            // MSG_DONTWAIT: a socket lent to a process (EpollConnection.Lend.cs) is blocking for its borrower's sake.
            var n = LinuxSockets.Recv(Fd, buffer, length, LinuxSockets.MSG_DONTWAIT);
            if (n >= 0)
            {
                if (Host.Traffic is not null && n > 0 && (_flags & FlagOutbound) == 0)
                {
                    // BytesReceived is counted by the caller, after this: it is still this chunk's offset.
                    ObserveTraffic(Streams.TrafficDirection.Received, BytesReceived, new ReadOnlySpan<byte>(buffer, (int)n));
                }

                return (int)n;
            }

            var errno = LinuxSockets.LastError;
            if (errno == LinuxSockets.EINTR)
            {
                continue;
            }

            if (errno != LinuxSockets.EAGAIN)
            {
                _errorReason = Marshal.GetPInvokeErrorMessage(errno);
            }

            return -1;
        }
    }

    private void Deliver(ReadOnlySpan<byte> data, int received, bool fromInput)
    {
        BytesReceived += received;
        LastActivity = _loop.Now;
        int consumed;
        try
        {
            consumed = _protocol!.OnReceived(this, data);
        }
        catch (Exception ex)
        {
            ProtocolFailed(ex);
            return;
        }

        if ((uint)consumed > (uint)data.Length)
        {
            ProtocolFailed(new InvalidOperationException($"OnReceived returned {consumed} for {data.Length} bytes"));
            return;
        }

        if (fromInput)
        {
            _input.Consume(consumed);
        }
        else if (consumed < data.Length)
        {
            _input.Append(data[consumed..]);
        }
    }
}
