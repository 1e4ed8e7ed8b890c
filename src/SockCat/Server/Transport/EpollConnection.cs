using System.Runtime.InteropServices;
using SockCat.Internal.Interop;

namespace SockCat.Server.Transport;

/// <summary>
/// A connection on an <see cref="EpollLoop"/>: a descriptor, a protocol, and the bytes it holds between calls. Every
/// member runs on the loop's thread except <see cref="Post"/>, <see cref="WriteAsync"/> and <see cref="Terminate"/>. A
/// protocol's output goes into the loop's scratch buffer and is sent with one send when the call returns; only what the
/// peer does not take is copied into the connection's own pooled queue, which arms EPOLLOUT. Close, half-close and abort
/// requested during a call take effect when it returns, so a protocol never sees its connection vanish under it.
/// </summary>
internal sealed unsafe partial class EpollConnection : ServerConnection
{
    private const int FlagInputEnded = 1;
    private const int FlagShutdownRequested = 2;
    private const int FlagSendShut = 4;
    private const int FlagCloseRequested = 8;
    private const int FlagPausedByProtocol = 16;
    private const int FlagBackpressure = 32;
    private const int FlagClosed = 64;
    private const int FlagRelayHold = 128; // not read: a relay's target is being connected, or its queue is over the bound
    private const int FlagConnecting = 256; // an outbound connection whose nonblocking connect has not completed
    private const int FlagOutbound = 512; // opened by a relay, not accepted: in no registry, no protocol, not logged
    private const int FlagSplice = 1024; // a relay side whose input goes to its partner by splice(2) (EpollConnection.Splice.cs)

    // _interest of a connection taken out of the epoll set (see OnEvents): put back by the next UpdateInterest that wants an event.
    private const uint Unregistered = uint.MaxValue;

    private const byte TargetScratch = 0;
    private const byte TargetQueue = 1;
    private const byte TargetDiscard = 2;

    // Marks a posted WriteAsync: the loop feeds it to the output as room allows instead of calling it.
    private static readonly Action<IConnection, object?> RunWrite = static (_, _) => { };

    private readonly EpollLoop _loop;
    private IConnectionProtocol? _protocol;
    private PooledByteQueue _output;
    private PooledByteQueue _input;
    private uint _interest;
    private int _flags;
    private byte _writeTarget;
    private string? _closeReason;
    private string? _abortReason;
    private string? _errorReason;
    private Queue<WriteOperation>? _writers; // WriteAsync calls not yet done, in order; made on the first

    public EpollConnection(EpollLoop loop, ListenerBinding binding, int fd, uint generation, long id, PeerAddress peer, bool outbound = false)
        : base(loop.Host, binding, id, peer)
    {
        _loop = loop;
        Fd = fd;
        Generation = generation;
        if (outbound)
        {
            _flags = FlagOutbound | FlagConnecting;
        }
    }

    public int Fd { get; }

    public uint Generation { get; }

    public bool IsClosed => (_flags & FlagClosed) != 0;

    public override int PendingOutputBytes => _output.Length + _pipeBytes + (ReferenceEquals(_loop.ScratchOwner, this) ? _loop.ScratchLength + _loop.DirectLength : 0);

    private int MaxOutput => _loop.MaxOutput;

    public void Start()
    {
        if (!_loop.Register(this, LinuxSockets.EPOLLIN))
        {
            _errorReason = $"epoll_ctl failed ({Marshal.GetPInvokeErrorMessage(LinuxSockets.LastError)})";
            AfterCall();
            return;
        }

        _interest = LinuxSockets.EPOLLIN;
        BeginCall();
        try
        {
            _protocol = CreateProtocol();
            _protocol.OnConnected(this);
        }
        catch (Exception ex)
        {
            ProtocolFailed(ex);
        }

        AfterCall();
    }

    public void OnEvents(uint events, int fd)
    {
        if (fd != Fd)
        {
            OnDescriptorEvents(fd);
            return;
        }

        if ((_flags & FlagConnecting) != 0)
        {
            _relay!.OnConnectEvent(this);
            return;
        }

        if ((events & LinuxSockets.EPOLLERR) != 0)
        {
            int error = 0, length = sizeof(int);
            LinuxSockets.GetSockOpt(Fd, LinuxSockets.SOL_SOCKET, LinuxSockets.SO_ERROR, &error, &length);
            _errorReason = Marshal.GetPInvokeErrorMessage(error);
            AfterCall();
            return;
        }

        if ((events & LinuxSockets.EPOLLOUT) != 0)
        {
            OnWritable();
            if (IsClosed)
            {
                return;
            }
        }

        if ((_interest & LinuxSockets.EPOLLIN) != 0 && (events & (LinuxSockets.EPOLLIN | LinuxSockets.EPOLLHUP)) != 0)
        {
            OnReadable();
        }
        else if ((events & LinuxSockets.EPOLLHUP) != 0)
        {
            if ((_flags & (FlagRelayHold | FlagPausedByProtocol | FlagDescriptorHold)) != 0 && (_flags & (FlagInputEnded | FlagCloseRequested)) == 0)
            {
                // The peer ended its side after ours while reading is held back (a relay's partner is full, or the protocol
                // paused): what it sent is still in the kernel, to be read on resuming, then its FIN. HUP cannot be
                // masked, so leave the epoll set until then.
                _loop.Unregister(this);
                _interest = Unregistered;
                return;
            }

            // Both directions are gone (a reset, or FIN after our own shutdown) while we were not reading: nothing more
            // can be sent, and level-triggered HUP would otherwise wake the loop forever.
            _errorReason = "connection closed by peer";
            AfterCall();
        }
    }

    public void RunPosted(in PostItem item)
    {
        if (item.Callback is null)
        {
            CloseFromLoop(item.CloseReason ?? "closed");
            return;
        }

        if (ReferenceEquals(item.Callback, RunWrite))
        {
            (_writers ??= new Queue<WriteOperation>()).Enqueue((WriteOperation)item.State!);
            if (_writers.Count == 1)
            {
                PumpWriters();
            }

            return;
        }

        BeginCall();
        try
        {
            item.Callback(this, item.State);
        }
        catch (Exception ex)
        {
            ProtocolFailed(ex);
        }

        AfterCall();
    }

    /// <summary>A posted callback that will not run (the connection closed first): hands its state back. Loop thread, or the poster's after the loop exited.</summary>
    public void Drop(in PostItem item)
    {
        if (item.Callback is not null)
        {
            Release(item.Dropped, item.State);
        }
    }

    private void BeginCall() => _loop.ScratchOwner = this;

    /// <summary>Sends what the call wrote, then applies what it asked for: close, abort, half-close, pause.</summary>
    private void AfterCall()
    {
        if (ReferenceEquals(_loop.ScratchOwner, this))
        {
            FlushScratch();
            _loop.ScratchOwner = null;
        }

        if (IsClosed)
        {
            return;
        }

        if (_abortReason is not null)
        {
            CloseNow(_abortReason, abortive: true, imposed: true);
            return;
        }

        if (_errorReason is not null)
        {
            CloseNow(_errorReason, abortive: true, imposed: false);
            return;
        }

        if (OutputEmpty)
        {
            if ((_flags & (FlagShutdownRequested | FlagSendShut)) == FlagShutdownRequested)
            {
                LinuxSockets.Shutdown(Fd, LinuxSockets.SHUT_WR);
                _flags |= FlagSendShut;
            }

            if ((_flags & FlagCloseRequested) != 0 || (_flags & (FlagSendShut | FlagInputEnded)) == (FlagSendShut | FlagInputEnded))
            {
                CloseNow(_closeReason, abortive: false, imposed: _closeReason is not null);
                return;
            }
        }
        else if (_output.Length > MaxOutput)
        {
            _flags |= FlagBackpressure;
        }

        UpdateInterest();
    }

    private void UpdateInterest()
    {
        if (_descriptors is not null)
        {
            UpdateDescriptors();
        }

        uint wanted = 0;
        if ((_flags & (FlagInputEnded | FlagPausedByProtocol | FlagBackpressure | FlagCloseRequested | FlagRelayHold | FlagDescriptorHold)) == 0)
        {
            wanted |= LinuxSockets.EPOLLIN;
        }

        if (!OutputEmpty)
        {
            wanted |= LinuxSockets.EPOLLOUT;
        }

        if (wanted != _interest)
        {
            if (_interest == Unregistered)
            {
                if (wanted != 0)
                {
                    _interest = wanted;
                    _loop.Register(this, wanted);
                }

                return;
            }

            _interest = wanted;
            _loop.Modify(this, wanted);
        }
    }

    public override void PauseReading() => _flags |= FlagPausedByProtocol;

    public override void ResumeReading() => _flags &= ~FlagPausedByProtocol;

    public override bool Post(Action<IConnection, object?> callback, object? state, Action<object?>? dropped)
    {
        ArgumentNullException.ThrowIfNull(callback);
        if (IsClosed)
        {
            Release(dropped, state);
            return false;
        }

        _loop.Post(new PostItem(this, Generation, callback, state, dropped, null));
        return true;
    }

    public override ValueTask<bool> WriteAsync(ReadOnlyMemory<byte> data, CancellationToken cancellationToken = default)
    {
        cancellationToken.ThrowIfCancellationRequested();
        var writer = new WriteOperation(data, cancellationToken);
        Post(RunWrite, writer, WriteOperation.Dropped);
        return new ValueTask<bool>(writer.Task);
    }

    public override void Terminate(string reason) => _loop.Post(new PostItem(this, Generation, null, null, null, reason));
}
