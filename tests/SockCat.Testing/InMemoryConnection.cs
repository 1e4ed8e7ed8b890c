using System.Buffers;
using System.Collections.Concurrent;
using System.Net;
using SockCat.Endpoints;
using SockCat.Server;

namespace SockCat.Testing;

/// <summary>
/// A connection without a socket that keeps the engine's contract (EpollConnection's) so a protocol can be unit-tested
/// deterministically: the test plays the peer and the loop. Bytes the peer sends are delivered as one call per
/// <see cref="Send"/> (a fragment is one recv), with whatever the protocol left unconsumed presented again in front of
/// them; reading stops while the protocol paused it or more than the output bound is queued. What the protocol writes
/// is the peer's to take (<see cref="TakeOutput"/>), or taken at once when <see cref="PeerReadsAll"/>. Close, half-close
/// and abort asked for in a call take effect when it returns; a write past twice the output bound aborts the connection
/// with the engine's reason. Posts wait in a queue until the test runs them (<see cref="RunPosted"/>), each as a call of
/// its own. Using a member other than <see cref="Post"/> outside a call throws: the engine forbids it.
/// </summary>
public sealed class InMemoryConnection : IConnection
{
    private IConnectionProtocol _protocol;
    private readonly ConcurrentQueue<(Action<IConnection, object?> Callback, object? State)> _posts = new();
    private readonly ArrayBufferWriter<byte> _pending = new();
    private readonly List<byte> _taken = [];
    private readonly Queue<byte[]> _inbox = new();
    private readonly List<string> _events = [];
    private byte[] _unconsumed = [];
    private byte[] _writeBuffer = new byte[4096];
    private int _pendingStart;
    private bool _inCall;
    private bool _discarding;
    private bool _paused;
    private bool _backpressure;
    private bool _peerFin;
    private bool _inputEnded;
    private bool _shutdownRequested;
    private bool _sendShut;
    private bool _closeRequested;
    private string? _closeReason;
    private string? _abortReason;
    private volatile bool _closed;

    /// <summary>
    /// Creates the connection with the protocol a server's factory makes for it (as <see cref="SockCatServer"/> calls its
    /// factory with the new connection); <see cref="Connect"/> makes the protocol's first call.
    /// </summary>
    public InMemoryConnection(
        Func<IConnection, IConnectionProtocol> protocolFactory,
        long id = 1,
        int maxOutputQueueBytes = ServerOptions.DefaultMaxOutputQueueBytes,
        int maxInputBufferBytes = ServerOptions.DefaultMaxInputBufferBytes)
        : this(NoProtocol.Instance, id, maxOutputQueueBytes, maxInputBufferBytes)
    {
        _protocol = protocolFactory(this);
    }

    /// <summary>Creates the connection; <see cref="Connect"/> makes the protocol's first call.</summary>
    /// <param name="protocol">The protocol under test (or a factory's result for this connection).</param>
    /// <param name="id">The connection's <see cref="Id"/>.</param>
    /// <param name="maxOutputQueueBytes">The outbound bound, as <see cref="ServerOptions.MaxOutputQueueBytes"/>.</param>
    /// <param name="maxInputBufferBytes">The unconsumed-input bound, as <see cref="ServerOptions.MaxInputBufferBytes"/>.</param>
    public InMemoryConnection(
        IConnectionProtocol protocol,
        long id = 1,
        int maxOutputQueueBytes = ServerOptions.DefaultMaxOutputQueueBytes,
        int maxInputBufferBytes = ServerOptions.DefaultMaxInputBufferBytes)
    {
        _protocol = protocol;
        Id = id;
        MaxOutputQueueBytes = maxOutputQueueBytes;
        MaxInputBufferBytes = maxInputBufferBytes;
        RemoteEndPoint = new IPEndPoint(IPAddress.Loopback, 40000 + (int)(id % 20000));
    }

    /// <inheritdoc />
    public long Id { get; }

    /// <summary>The listener the connection stands for having come in on; a tcp:// one unless a test sets another.</summary>
    public EndpointUrl Listener { get; set; } = EndpointUrl.Parse("tcp://127.0.0.1:4444");

    /// <inheritdoc />
    public EndPoint? RemoteEndPoint { get; set; }

    /// <inheritdoc />
    public EndPoint? LocalEndPoint { get; set; } = new IPEndPoint(IPAddress.Loopback, 4444);

    /// <summary>The outbound bound: over it reading stops; over twice it the connection is aborted.</summary>
    public int MaxOutputQueueBytes { get; }

    /// <summary>The bound on what the protocol may leave unconsumed.</summary>
    public int MaxInputBufferBytes { get; }

    /// <summary>True (the default): the peer takes every byte as soon as a call returns. False: output waits for <see cref="TakeOutput"/>.</summary>
    public bool PeerReadsAll { get; set; } = true;

    /// <inheritdoc />
    public int PendingOutputBytes => _pending.WrittenCount - _pendingStart;

    /// <summary>Everything the peer has taken so far.</summary>
    public byte[] Output => [.. _taken];

    /// <summary>What the peer has taken, as UTF-8 text.</summary>
    public string OutputText => System.Text.Encoding.UTF8.GetString(Output);

    /// <summary>What the protocol left unconsumed, held for the next delivery.</summary>
    public ReadOnlySpan<byte> Unconsumed => _unconsumed;

    /// <summary>The controls the protocol used, in order: <c>pause</c>, <c>resume</c>, <c>shutdown-send</c>, <c>close: reason</c>, <c>abort: reason</c>.</summary>
    public IReadOnlyList<string> Events => _events;

    /// <summary>True once the connection is closed (by either side, or aborted).</summary>
    public bool IsClosed => _closed;

    /// <summary>The reason the connection closed, as <see cref="IConnectionProtocol.OnClosed"/> was told it.</summary>
    public string? ClosedReason { get; private set; }

    /// <summary>True once the send side was shut down (the peer read end of stream).</summary>
    public bool SendShut => _sendShut;

    /// <summary>True while the protocol has paused reading.</summary>
    public bool ReadingPaused => _paused;

    /// <summary>Posted callbacks not yet run.</summary>
    public int PostedCount => _posts.Count;

    /// <summary>The protocol's first call.</summary>
    public void Connect() => Call(static (c, _) => c._protocol.OnConnected(c), 0);

    /// <summary>The peer sends <paramref name="data"/>: delivered now as one call, or held while reading is stopped.</summary>
    public void Send(ReadOnlySpan<byte> data)
    {
        if (_closed || _peerFin || data.IsEmpty)
        {
            return;
        }

        _inbox.Enqueue(data.ToArray());
        DeliverInbox();
    }

    /// <summary>The peer sends <paramref name="text"/> (UTF-8).</summary>
    public void Send(string text) => Send(System.Text.Encoding.UTF8.GetBytes(text));

    /// <summary>The peer sends <paramref name="data"/> cut at <paramref name="splits"/> (offsets into it), one call per piece.</summary>
    public void SendSplit(ReadOnlySpan<byte> data, params int[] splits)
    {
        var from = 0;
        foreach (var at in splits.Order())
        {
            Send(data[from..at]);
            from = at;
        }

        Send(data[from..]);
    }

    /// <summary>The peer sends <paramref name="data"/> in pieces of <paramref name="size"/> bytes.</summary>
    public void SendInPieces(ReadOnlySpan<byte> data, int size)
    {
        for (var i = 0; i < data.Length; i += size)
        {
            Send(data.Slice(i, Math.Min(size, data.Length - i)));
        }
    }

    /// <summary>The peer half-closes (FIN): once held input is delivered, the protocol is told input ended.</summary>
    public void EndInput()
    {
        _peerFin = true;
        DeliverInbox();
    }

    /// <summary>The peer reads up to <paramref name="max"/> queued bytes; draining the queue tells the protocol it is writable again.</summary>
    public byte[] TakeOutput(int max = int.MaxValue)
    {
        var pending = _pending.WrittenSpan[_pendingStart..];
        var n = Math.Min(max, pending.Length);
        var taken = pending[..n].ToArray();
        _taken.AddRange(taken);
        _pendingStart += n;
        if (PendingOutputBytes == 0)
        {
            _pending.Clear();
            _pendingStart = 0;
        }

        if (n > 0 && !_closed)
        {
            if (PendingOutputBytes <= MaxOutputQueueBytes / 2)
            {
                _backpressure = false;
            }

            if (PendingOutputBytes == 0)
            {
                Call(static (c, _) => c._protocol.OnWritable(c), 0);
            }
            else
            {
                AfterCall();
            }

            DeliverInbox();
        }

        return taken;
    }

    /// <summary>Runs the posted callbacks, in order, each as a call of its own (skipped once closed, as the engine does); returns how many ran.</summary>
    public int RunPosted()
    {
        var ran = 0;
        while (_posts.TryDequeue(out var post))
        {
            if (_closed)
            {
                continue;
            }

            Call(static (c, p) => p.Callback(c, p.State), post);
            ran++;
        }

        return ran;
    }

    /// <summary>Closes from outside the protocol (idle timeout, shutdown), as the engine's loop does.</summary>
    public void Terminate(string reason)
    {
        if (!_closed)
        {
            CloseNow(reason);
        }
    }

    /// <inheritdoc />
    public bool Post(Action<IConnection, object?> callback, object? state)
    {
        ArgumentNullException.ThrowIfNull(callback);
        if (_closed)
        {
            return false;
        }

        _posts.Enqueue((callback, state));
        return true;
    }

    /// <inheritdoc />
    public void Write(ReadOnlySpan<byte> data)
    {
        var span = GetSpan(data.Length);
        data.CopyTo(span);
        Advance(data.Length);
    }

    /// <inheritdoc />
    public Memory<byte> GetMemory(int sizeHint = 0)
    {
        CheckInCall();
        var need = Math.Max(sizeHint, 256);
        if (!_discarding && !_shutdownRequested && _abortReason is null && (long)PendingOutputBytes + need > 2L * MaxOutputQueueBytes)
        {
            _abortReason = $"over {2 * MaxOutputQueueBytes} bytes queued for a peer that is not reading";
        }

        _discarding = _closed || _shutdownRequested || _sendShut || _abortReason is not null;
        if (_discarding)
        {
            if (_writeBuffer.Length < need)
            {
                _writeBuffer = new byte[need];
            }

            return _writeBuffer;
        }

        return _pending.GetMemory(need);
    }

    /// <inheritdoc />
    public Span<byte> GetSpan(int sizeHint = 0) => GetMemory(sizeHint).Span;

    /// <inheritdoc />
    public void Advance(int count)
    {
        CheckInCall();
        if (!_discarding)
        {
            _pending.Advance(count);
        }
    }

    /// <inheritdoc />
    public void ShutdownSend()
    {
        CheckInCall();
        _shutdownRequested = true;
        _events.Add("shutdown-send");
    }

    /// <inheritdoc />
    public void Close(string? reason = null)
    {
        CheckInCall();
        _closeRequested = true;
        _closeReason ??= reason;
        _events.Add(reason is null ? "close" : $"close: {reason}");
    }

    /// <inheritdoc />
    public void Abort(string reason)
    {
        CheckInCall();
        _abortReason ??= reason;
        _events.Add($"abort: {reason}");
    }

    /// <inheritdoc />
    public void PauseReading()
    {
        CheckInCall();
        _paused = true;
        _events.Add("pause");
    }

    /// <inheritdoc />
    public void ResumeReading()
    {
        CheckInCall();
        _paused = false;
        _events.Add("resume");
    }

    private void CheckInCall()
    {
        if (!_inCall)
        {
            throw new InvalidOperationException($"connection {Id} used outside a call of its protocol; other threads and connections must go through Post");
        }
    }

    private bool Reading => !_closed && !_inputEnded && !_paused && !_backpressure && !_closeRequested;

    private void DeliverInbox()
    {
        while (Reading && _inbox.TryDequeue(out var fragment))
        {
            if (_unconsumed.Length >= MaxInputBufferBytes)
            {
                _abortReason ??= $"over {MaxInputBufferBytes} bytes of unconsumed input";
                AfterCall();
                return;
            }

            var data = _unconsumed.Length == 0 ? fragment : [.. _unconsumed, .. fragment];
            var consumed = CallForResult(static (c, d) => c._protocol.OnReceived(c, d), data);
            if ((uint)consumed > (uint)data.Length)
            {
                throw new InvalidOperationException($"OnReceived returned {consumed} for {data.Length} bytes");
            }

            _unconsumed = data[consumed..];
        }

        if (Reading && _inbox.Count == 0 && _peerFin)
        {
            _inputEnded = true;
            var rest = _unconsumed;
            _unconsumed = [];
            Call(static (c, r) => c._protocol.OnInputEnded(c, r), rest);
        }
    }

    private int CallForResult<T>(Func<InMemoryConnection, T, int> call, T state)
    {
        var result = 0;
        Call((c, s) => { result = call(c, s); }, state);
        return result;
    }

    private void Call<T>(Action<InMemoryConnection, T> call, T state)
    {
        if (_inCall)
        {
            throw new InvalidOperationException("a protocol call began inside another; calls for one connection never overlap");
        }

        if (_closed)
        {
            return;
        }

        _inCall = true;
        try
        {
            call(this, state);
        }
        finally
        {
            _inCall = false;
            _discarding = false;
        }

        AfterCall();
    }

    /// <summary>What the engine does when a call returns: send, then apply abort, half-close, close and the bound.</summary>
    private void AfterCall()
    {
        if (_closed)
        {
            return;
        }

        if (_abortReason is not null)
        {
            _pending.Clear();
            _pendingStart = 0;
            CloseNow(_abortReason);
            return;
        }

        if (PeerReadsAll && PendingOutputBytes > 0)
        {
            _taken.AddRange(_pending.WrittenSpan[_pendingStart..].ToArray());
            _pending.Clear();
            _pendingStart = 0;
        }

        if (PendingOutputBytes == 0)
        {
            if (_shutdownRequested)
            {
                _sendShut = true;
            }

            if (_closeRequested || (_sendShut && _inputEnded))
            {
                CloseNow(_closeReason);
                return;
            }
        }
        else if (PendingOutputBytes > MaxOutputQueueBytes)
        {
            _backpressure = true;
        }
    }

    private void CloseNow(string? reason)
    {
        _closed = true;
        ClosedReason = reason;
        _unconsumed = [];
        _inbox.Clear();
        // As on the engine, the protocol may still touch the connection here; what it writes goes nowhere.
        _inCall = true;
        try
        {
            _protocol.OnClosed(this, reason);
        }
        finally
        {
            _inCall = false;
        }
    }

    private sealed class NoProtocol : IConnectionProtocol
    {
        public static readonly NoProtocol Instance = new();

        public int OnReceived(IConnection connection, ReadOnlySpan<byte> data) => 0;
    }
}
