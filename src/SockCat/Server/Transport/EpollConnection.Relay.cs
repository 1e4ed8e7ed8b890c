using SockCat.Client;
using SockCat.Endpoints;
using SockCat.Internal.Interop;
using SockCat.Server.Relay;

namespace SockCat.Server.Transport;

/// <summary>
/// Relaying on the loop: two connections of one loop paired, each one's input sent straight out of the loop's receive
/// buffer to the other (one recv, one send per chunk, no copy unless the other's peer is slow, no thread hop). The end of
/// one side's input half-closes the other once its queue is flushed; a side whose queue is over the bound stops the other
/// side's reading until it is back under half.
/// </summary>
internal sealed unsafe partial class EpollConnection
{
    private const int RelayReadsPerEvent = 4;

    private EpollConnection? _partner; // set on both sides once the target answered
    private EpollRelay? _relay;

    public bool IsOutbound => (_flags & FlagOutbound) != 0;

    protected override IConnectionProtocol? CurrentProtocol { get => _protocol; set => _protocol = value; }

    public override void RelayTo(EndpointUrl target, RelayOptions? options = null)
    {
        options ??= new RelayOptions();
        if (target.Scheme is not (EndpointScheme.Tcp or EndpointScheme.Unix) || options.Connect.LocalEndPoint is not null || options.Connect.Proxy is not null)
        {
            // TLS needs SslStream, a local address the client's bind rules, and a proxy its handshake before the first
            // byte is relayed (SocketClient runs it): all on the stream path, one thread-pool hop per chunk instead of none.
            base.RelayTo(target, options);
            return;
        }

        SocketClient.ValidateStream(target, options.Connect);
        if (_relay is not null || CurrentProtocol is StreamRelay)
        {
            throw new InvalidOperationException($"connection {Id} already relays");
        }

        if (IsClosed || (_flags & (FlagCloseRequested | FlagSendShut)) != 0)
        {
            throw new InvalidOperationException($"connection {Id} is closing");
        }

        _flags |= FlagRelayHold;
        _relay = new EpollRelay(_loop, this, target, options);
        _relay.Start();
    }

    /// <summary>Makes this outbound connection, its connect completed, the inbound one's partner.</summary>
    public void AttachOutbound(EpollRelay relay) => _relay = relay;

    /// <summary>The outbound connection answered: pairs the two and starts reading both (with <paramref name="splice"/>, by splice(2)).</summary>
    public void Pair(EpollConnection outbound, bool splice)
    {
        outbound._flags &= ~FlagConnecting;
        // A traffic observer must see every byte, and splice(2) moves them past the process: with one, the relay copies.
        if (splice && Host.Traffic is null)
        {
            _flags |= FlagSplice;
            outbound._flags |= FlagSplice;
        }

        _partner = outbound;
        outbound._partner = this;
        outbound.UpdateInterest();
        if (!_input.IsEmpty)
        {
            // What the protocol left unconsumed before it asked for the relay goes first.
            var held = _input.Readable;
            fixed (byte* p = held)
            {
                outbound.RelayOut(p, held.Length);
            }

            _input.Release();
        }

        _flags &= ~FlagRelayHold;
        if ((_flags & FlagInputEnded) != 0)
        {
            outbound.RelayShutdown();
        }

        AfterCall();
    }

    private void RelayReadable()
    {
        var partner = _partner!;
        if (Splicing && CanSpliceTo(partner))
        {
            SpliceReadable();
            return;
        }

        // While recv fills the buffer and the partner takes it, read again before going back to epoll_wait: a stream
        // then costs recv + send per 64 KiB instead of epoll_wait + recv + send. Bounded, so that one busy relay does
        // not starve the loop's other connections.
        for (var i = 0; i < RelayReadsPerEvent; i++)
        {
            var n = Receive(_loop.ReceivePointer, EpollLoop.BufferSize);
            if (n > 0)
            {
                BytesReceived += n;
                LastActivity = _loop.Now;
                if (partner.RelayOut(_loop.ReceivePointer, n))
                {
                    _flags |= FlagRelayHold;
                    break;
                }

                if (n < EpollLoop.BufferSize || partner.IsClosed || !partner._output.IsEmpty)
                {
                    break;
                }
            }
            else
            {
                if (n == 0)
                {
                    _flags |= FlagInputEnded;
                    partner.RelayShutdown();
                }

                break;
            }
        }

        AfterCall();
    }

    /// <summary>Sends bytes the partner read, queuing what the peer does not take; true when the queue is now over its bound.</summary>
    private bool RelayOut(byte* data, int length)
    {
        if (IsClosed || (_flags & (FlagShutdownRequested | FlagSendShut | FlagCloseRequested)) != 0)
        {
            return false;
        }

        if (_output.IsEmpty)
        {
            var sent = SendRaw(data, length);
            if (sent < 0)
            {
                AfterCall(); // the error closes this side, and with it the pair
                return false;
            }

            if (sent < length)
            {
                _output.Append(new ReadOnlySpan<byte>(data + sent, length - sent));
                UpdateInterest();
            }
        }
        else
        {
            _output.Append(new ReadOnlySpan<byte>(data, length));
        }

        return _output.Length > MaxOutput;
    }

    /// <summary>The partner's input ended: half-close this side once its queue is sent.</summary>
    private void RelayShutdown()
    {
        _flags |= FlagShutdownRequested;
        AfterCall();
    }

    /// <summary>After a send from the queue: the partner reads again once the queue is back under half its bound.</summary>
    private void ReleasePartner()
    {
        var partner = _partner!;
        if ((partner._flags & FlagRelayHold) != 0 && _output.Length <= MaxOutput / 2 && _pipeBytes <= SpliceChunk / 2 && !partner.IsClosed)
        {
            partner._flags &= ~FlagRelayHold;
            partner.UpdateInterest();
        }
    }

    /// <summary>The partner closed: this side ends too, after what it has queued (a close with the partner's reason).</summary>
    public void CloseWithPartner(string? reason)
    {
        if (IsClosed)
        {
            return;
        }

        if ((_flags & FlagConnecting) != 0 || _partner is null && IsOutbound)
        {
            CloseNow(reason, abortive: true, imposed: false);
            return;
        }

        _flags |= FlagCloseRequested;
        _closeReason ??= reason;
        if (ReferenceEquals(_loop.ScratchOwner, this))
        {
            return; // inside this side's own call: its AfterCall applies the close
        }

        AfterCall();
    }

    /// <summary>The target could not be reached: the client is closed with why, after anything already written to it.</summary>
    public void RelayFailed(string reason)
    {
        _flags &= ~FlagRelayHold;
        CloseWithPartner(reason);
    }

    /// <summary>For the connect: the descriptor's pending error (SO_ERROR), 0 when connected.</summary>
    public int PendingSocketError()
    {
        int error = 0, length = sizeof(int);
        return LinuxSockets.GetSockOpt(Fd, LinuxSockets.SOL_SOCKET, LinuxSockets.SO_ERROR, &error, &length) == 0 ? error : LinuxSockets.LastError;
    }

    /// <summary>Starts an outbound connection whose nonblocking connect is under way: its completion is EPOLLOUT.</summary>
    public bool StartOutbound()
    {
        if (!_loop.Register(this, LinuxSockets.EPOLLOUT))
        {
            return false;
        }

        _interest = LinuxSockets.EPOLLOUT;
        return true;
    }

    /// <summary>Closes an outbound connection that never answered, silently: the relay tries the next address or reports.</summary>
    public void AbandonConnect() => CloseNow(null, abortive: true, imposed: false);
}
