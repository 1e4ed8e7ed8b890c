using System.Buffers;
using System.Collections.Concurrent;
using System.IO.Pipelines;
using Microsoft.AspNetCore.Connections;
using SockCat.Server.Transport;

namespace SockCat.Server.Hosting;

/// <summary>
/// A connection hosted by Kestrel, seen by a protocol exactly as an epoll connection is. Calls are serialized by a
/// per-connection gate (uncontended, it completes synchronously without allocating), which is what lets posted callbacks
/// from other threads run between the read loop's calls. The gate is never held across a flush that waits for the peer:
/// while one is pending, output goes to a backlog of the connection's own, bounded by the slow-consumer rule as the epoll
/// loop's queue is, and the read loop and <see cref="WriteAsync"/> wait for the flush (backpressure) outside the gate.
/// So posts never pile up behind a peer that does not read: they run, and a peer that falls too far behind is cut.
/// </summary>
internal sealed class KestrelConnection : ServerConnection
{
    // At most this much of one WriteAsync per call, as the epoll loop's chunk: the queue then stays under the slow-consumer limit.
    private const int WriteChunk = 64 * 1024;

    private readonly ConnectionContext _context;
    private readonly PipeWriter _output;
    private readonly IConnectionHalfCloseFeature? _halfClose;
    private readonly SemaphoreSlim _gate = new(1, 1);
    private readonly TaskCompletionSource _finished = new(TaskCreationOptions.RunContinuationsAsynchronously);
    private readonly ConcurrentQueue<(Action<IConnection, object?> Callback, object? State, Action<object?>? Dropped)> _posts = new();
    private TaskCompletionSource? _resumed;
    private SemaphoreSlim? _producers; // made by the first WriteAsync
    private TaskCompletionSource? _flushed; // set while a flush waits for the peer; completed (and cleared) when it is done
    private PooledByteQueue _backlog; // under the gate: output written while a flush is pending
    private byte[]? _discard;
    private Memory<byte> _lent; // the memory GetMemory last lent, kept only while a traffic observer is set: Advance shows it
    private long _writtenInCall;
    private int _drainScheduled;
    private bool _toBacklog;
    private bool _discarding;
    private bool _inputEnded;
    private bool _shutdownRequested;
    private bool _outputEnding; // under the gate: the transport's half-close has begun (CanHalfClose)
    private bool _outputEnded; // under the gate: and is done
    private bool _closeRequested;
    private volatile bool _closed;

    public KestrelConnection(ConnectionContext context, ServerHost host, ListenerBinding binding, long id)
        : base(host, binding, id, PeerAddress.FromEndPoint(context.RemoteEndPoint))
    {
        _context = context;
        _output = context.Transport.Output;
        _halfClose = context.Features.Get<IConnectionHalfCloseFeature>();
    }

    public IConnectionProtocol? Protocol { get; set; }

    protected override IConnectionProtocol? CurrentProtocol { get => Protocol; set => Protocol = value; }

    /// <summary>The reason the server closed the connection (a limit, a protocol's Close or Abort), for the log.</summary>
    public string? CloseReason { get; private set; }

    public bool CloseImposed { get; private set; }

    public bool InputEnded => _inputEnded;

    /// <summary>
    /// Input has ended and the transport's half-close has begun: the transport closing now (its ConnectionClosed) is the
    /// connection's normal end, not an error.
    /// </summary>
    public bool EndedBothWays => _inputEnded && _outputEnding;

    /// <summary>Completes when the protocol has closed, half-closed after its input ended, or been aborted.</summary>
    public Task Finished => _finished.Task;

    public bool IsClosed => _closed;

    private bool FlushPending => _flushed is not null;

    /// <summary>
    /// What is written and not yet sent, as far as this side knows: unflushed, in the backlog, and while a flush waits, the
    /// transport's own buffer, which is then full (Kestrel's MaxWriteBufferSize is the outbound bound).
    /// </summary>
    public override int PendingOutputBytes =>
        (int)Math.Min(int.MaxValue, _output.UnflushedBytes + _backlog.Length + (FlushPending ? Host.MaxOutputQueueBytes : 0));

    public override System.Net.EndPoint? LocalEndPoint => _context.LocalEndPoint;

    /// <summary>Runs one protocol call under the gate, then starts sending its output and applies what it asked for.</summary>
    public async ValueTask<T> CallAsync<TState, T>(Func<KestrelConnection, TState, T> call, TState state)
    {
        await _gate.WaitAsync().ConfigureAwait(false);
        try
        {
            T result = default!;
            if (!_closed)
            {
                _writtenInCall = 0;
                try
                {
                    result = call(this, state);
                }
                catch (Exception ex)
                {
                    ProtocolFailed(ex);
                }

                AfterCall();
            }

            return result;
        }
        finally
        {
            _gate.Release();
        }
    }

    /// <summary>Completes when no flush waits for the peer: the read loop's and producers' backpressure.</summary>
    public Task WaitFlushedAsync(CancellationToken cancellationToken = default) =>
        Volatile.Read(ref _flushed) is { } flushed ? flushed.Task.WaitAsync(cancellationToken) : Task.CompletedTask;

    public void MarkInputEnded() => _inputEnded = true;

    /// <summary>Under the gate, after a call: an abort at once; otherwise the output on its way, then a requested close.</summary>
    private void AfterCall()
    {
        if (CloseReason is not null && CloseImposed && !_closeRequested)
        {
            _context.Abort(new ConnectionAbortedException(CloseReason));
            _finished.TrySetResult();
            return;
        }

        if (FlushPending)
        {
            return; // the flush under way moves the backlog on, then applies the close
        }

        if (_output.UnflushedBytes > 0 || _writtenInCall > 0)
        {
            ValueTask<FlushResult> flush;
            try
            {
                flush = _output.FlushAsync();
            }
            catch (Exception ex) when (ex is IOException or ConnectionAbortedException or InvalidOperationException)
            {
                _finished.TrySetResult();
                return;
            }

            if (!flush.IsCompleted)
            {
                // Kestrel's MaxWriteBufferSize is the outbound bound: the flush waits while more than that is queued.
                Volatile.Write(ref _flushed, new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously));
                _ = CompleteFlushAsync(flush);
                return;
            }

            if (!Flushed(flush))
            {
                return;
            }
        }

        ApplyClose();
    }

    /// <summary>Waits out a flush the peer holds up, outside the gate; then sends what the backlog gathered meanwhile, until none waits.</summary>
    private async Task CompleteFlushAsync(ValueTask<FlushResult> flush)
    {
        while (true)
        {
            var peerGone = true;
            try
            {
                // A flush's ValueTask is consumed once, here.
                var result = await flush.ConfigureAwait(false);
                peerGone = result.IsCompleted || result.IsCanceled;
            }
            catch (Exception ex) when (ex is IOException or ConnectionAbortedException or InvalidOperationException or OperationCanceledException)
            {
            }

            await _gate.WaitAsync().ConfigureAwait(false);
            try
            {
                if (peerGone)
                {
                    _finished.TrySetResult();
                }

                if (peerGone || _closed || _backlog.IsEmpty)
                {
                    _backlog.Release();
                    EndFlush();
                    if (!_closed && !_finished.Task.IsCompleted)
                    {
                        // The peer has caught up: a call of its own, as the epoll loop makes when its queue empties.
                        _writtenInCall = 0;
                        try
                        {
                            Protocol?.OnWritable(this);
                        }
                        catch (Exception ex)
                        {
                            ProtocolFailed(ex);
                        }

                        AfterCall();
                    }

                    return;
                }

                // Into the pipe in pieces of the pipe's own memory, then one flush for all of it.
                var backlog = _backlog.Readable;
                while (!backlog.IsEmpty)
                {
                    var span = _output.GetSpan(Math.Min(backlog.Length, WriteChunk));
                    var n = Math.Min(span.Length, backlog.Length);
                    backlog[..n].CopyTo(span);
                    _output.Advance(n);
                    backlog = backlog[n..];
                }

                _backlog.Release();
                try
                {
                    flush = _output.FlushAsync();
                }
                catch (Exception ex) when (ex is IOException or ConnectionAbortedException or InvalidOperationException)
                {
                    EndFlush();
                    _finished.TrySetResult();
                    return;
                }

                // Round again: at once when this flush completed, to find the backlog empty and the peer caught up.
            }
            finally
            {
                _gate.Release();
            }
        }
    }

    /// <summary>False (and the connection finished) when a completed flush says the peer is gone.</summary>
    private bool Flushed(ValueTask<FlushResult> flush)
    {
        try
        {
            var result = flush.GetAwaiter().GetResult();
            if (!result.IsCompleted && !result.IsCanceled)
            {
                return true;
            }
        }
        catch (Exception ex) when (ex is IOException or ConnectionAbortedException or InvalidOperationException or OperationCanceledException)
        {
        }

        _finished.TrySetResult();
        return false;
    }

    private void EndFlush()
    {
        Interlocked.Exchange(ref _flushed, null)?.TrySetResult();
    }

    private void ApplyClose()
    {
        if (_shutdownRequested && _halfClose is not null && !_outputEnding && !_closeRequested)
        {
            // Everything written is flushed: the transport ends its output now, and input goes on.
            _outputEnding = true;
            _ = EndOutputAsync();
        }

        if (_closeRequested || (_shutdownRequested && _inputEnded && (_halfClose is null || _outputEnded)))
        {
            // Without the transport's half-close, completing Kestrel's output closes both directions (aspnetcore#14937),
            // so the shutdown is only honoured once input has ended too (see ProtocolConnectionHandler).
            _finished.TrySetResult();
            _context.Transport.Input.CancelPendingRead();
            // A read loop held by PauseReading must wake to see it is finished.
            Interlocked.Exchange(ref _resumed, null)?.TrySetResult();
        }
    }

    /// <summary>The transport's half-close, outside the gate; then, under it, the close if input has ended meanwhile.</summary>
    private async Task EndOutputAsync()
    {
        try
        {
            await _halfClose!.ShutdownSendAsync().ConfigureAwait(false);
        }
        catch (Exception ex) when (ex is IOException or ConnectionAbortedException or InvalidOperationException or OperationCanceledException or ObjectDisposedException)
        {
            // The peer is gone or the connection was aborted: nothing left to end.
            _finished.TrySetResult();
            return;
        }

        await _gate.WaitAsync().ConfigureAwait(false);
        try
        {
            _outputEnded = true;
            ApplyClose();
        }
        finally
        {
            _gate.Release();
        }
    }

    /// <summary>
    /// True where the transport can end its output alone (the engine's loop under Kestrel, with or without TLS). False on
    /// Kestrel's socket transport: completing its output closes both directions (aspnetcore#14937), so a half-close waits
    /// for the peer's own end of input, and a relay whose target ended closes instead, so that its client is not left waiting.
    /// </summary>
    public override bool CanHalfClose => _halfClose is not null;

    private void ProtocolFailed(Exception ex)
    {
        ServerLog.ProtocolFailed(Host.Logger, Id, Peer, ex);
        SetAbort($"protocol error: {ex.GetType().Name}");
    }

    private void SetAbort(string reason)
    {
        CloseReason ??= reason;
        CloseImposed = true;
        _discarding = true;
    }

    private void CutSlowConsumer()
    {
        if (CloseReason is null)
        {
            CutAsSlowConsumer = true;
        }

        SetAbort(Host.SlowConsumerReason);
    }

    public async Task WaitResumedAsync()
    {
        if (Volatile.Read(ref _resumed) is { } resumed)
        {
            await resumed.Task.ConfigureAwait(false);
        }
    }

    /// <summary>The connection is gone (the handler is finishing): posted callbacks not yet run are handed back, waiting writers told.</summary>
    public void MarkClosed()
    {
        _closed = true;
        DropPosts();
        EndFlush();
    }

    /// <summary>Tells the protocol the connection is gone, under the gate: no call of it is running or will run.</summary>
    public async Task CallClosedAsync(string? reason)
    {
        await _gate.WaitAsync().ConfigureAwait(false);
        try
        {
            DropPosts();
            NotifyClosed(Protocol, reason);
        }
        finally
        {
            _gate.Release();
        }
    }

    public override Memory<byte> GetMemory(int sizeHint = 0)
    {
        var need = Math.Max(sizeHint, 256);
        if (!_discarding && !_shutdownRequested && !_closed)
        {
            if (FlushPending)
            {
                // The transport's buffer already holds the outbound bound; the backlog is what passes it.
                if (_backlog.Length + need > Host.SlowConsumerLimitBytes - Host.MaxOutputQueueBytes)
                {
                    CutSlowConsumer();
                }
                else
                {
                    _toBacklog = true;
                    return Lend(_backlog.GetWriteMemory(need));
                }
            }
            else if (_writtenInCall + need > Host.SlowConsumerLimitBytes)
            {
                CutSlowConsumer();
            }
        }

        if (_discarding || _shutdownRequested || _closed)
        {
            _discarding = true;
            if (_discard is null || _discard.Length < need)
            {
                _discard = new byte[Math.Max(need, 4096)];
            }

            return _discard;
        }

        _toBacklog = false;
        return Lend(_output.GetMemory(sizeHint));
    }

    private Memory<byte> Lend(Memory<byte> memory)
    {
        if (Host.Traffic is not null)
        {
            _lent = memory;
        }

        return memory;
    }

    public override Span<byte> GetSpan(int sizeHint = 0) => GetMemory(sizeHint).Span;

    public override void Advance(int count)
    {
        if (_discarding || _shutdownRequested || _closed)
        {
            return;
        }

        if (_toBacklog)
        {
            _backlog.Advance(count);
        }
        else
        {
            _output.Advance(count);
        }

        if (Host.Traffic is not null && count > 0)
        {
            ObserveTraffic(Streams.TrafficDirection.Sent, BytesSent, _lent.Span[..count]);
        }

        _writtenInCall += count;
        BytesSent += count;
        LastActivity = Environment.TickCount64;
    }

    public override void Write(ReadOnlySpan<byte> data)
    {
        while (!data.IsEmpty)
        {
            var span = GetSpan(Math.Min(data.Length, WriteChunk));
            var n = Math.Min(span.Length, data.Length);
            data[..n].CopyTo(span);
            Advance(n);
            data = data[n..];
        }
    }

    public override void ShutdownSend() => _shutdownRequested = true;

    public override void Close(string? reason = null)
    {
        _closeRequested = true;
        if (reason is not null)
        {
            CloseReason ??= reason;
            CloseImposed = true;
        }
    }

    public override void Abort(string reason) => SetAbort(reason);

    public override void PauseReading() => Interlocked.CompareExchange(ref _resumed, new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously), null);

    public override void ResumeReading() => Interlocked.Exchange(ref _resumed, null)?.TrySetResult();

    public override bool Post(Action<IConnection, object?> callback, object? state, Action<object?>? dropped)
    {
        ArgumentNullException.ThrowIfNull(callback);
        if (_closed)
        {
            Release(dropped, state);
            return false;
        }

        _posts.Enqueue((callback, state, dropped));
        if (_closed)
        {
            // Closed while this was queued, perhaps after the last drain: hand it (and any racing it) back here.
            DropPosts();
            return true;
        }

        if (Interlocked.Exchange(ref _drainScheduled, 1) == 0)
        {
            // Off the poster's thread: it may be a loop thread, or inside another connection's call.
            ThreadPool.UnsafeQueueUserWorkItem(static c => _ = c.RunPostsAsync(), this, preferLocal: false);
        }

        return true;
    }

    /// <summary>Runs every queued post in one call under the gate: one flush for a burst of fan-out.</summary>
    private async Task RunPostsAsync()
    {
        await _gate.WaitAsync().ConfigureAwait(false);
        try
        {
            // Before dequeuing: a post that comes after the last TryDequeue below schedules a run of its own.
            Volatile.Write(ref _drainScheduled, 0);
            if (_closed || _finished.Task.IsCompleted)
            {
                // Closed, or closing (aborted, cut, or its close applied): no more calls.
                DropPosts();
                return;
            }

            _writtenInCall = 0;
            while (_posts.TryDequeue(out var post))
            {
                try
                {
                    post.Callback(this, post.State);
                }
                catch (Exception ex)
                {
                    ProtocolFailed(ex);
                }

                if (_discarding || _finished.Task.IsCompleted)
                {
                    // Aborted, cut or closed by this batch: the rest will not run, as on the epoll loop.
                    DropPosts();
                    break;
                }

                if (_writtenInCall >= Host.MaxOutputQueueBytes / 2)
                {
                    // Send as it goes, as the epoll loop does after each post, so a long batch for a peer that reads is
                    // not mistaken for a slow consumer; once a flush waits, the rest goes to the bounded backlog.
                    AfterCall();
                    _writtenInCall = 0;
                }
            }

            AfterCall();
        }
        finally
        {
            _gate.Release();
        }
    }

    private void DropPosts()
    {
        while (_posts.TryDequeue(out var post))
        {
            Release(post.Dropped, post.State);
        }
    }

    public override async ValueTask<bool> WriteAsync(ReadOnlyMemory<byte> data, CancellationToken cancellationToken = default)
    {
        // One producer's bytes at a time, in the order called (the semaphore's waiters are served first come, first
        // served), so two writes' chunks never interleave; as on the epoll loop, where writes queue whole.
        var producers = _producers ?? Interlocked.CompareExchange(ref _producers, new SemaphoreSlim(1, 1), null) ?? _producers;
        await producers.WaitAsync(cancellationToken).ConfigureAwait(false);
        try
        {
            return await WriteInChunksAsync(data, cancellationToken).ConfigureAwait(false);
        }
        finally
        {
            producers.Release();
        }
    }

    private async Task<bool> WriteInChunksAsync(ReadOnlyMemory<byte> data, CancellationToken cancellationToken)
    {
        do
        {
            // Outside the gate: a producer waits for the peer without holding up the connection's calls.
            await WaitFlushedAsync(cancellationToken).ConfigureAwait(false);
            await _gate.WaitAsync(cancellationToken).ConfigureAwait(false);
            try
            {
                if (_closed || _finished.Task.IsCompleted || _discarding || _shutdownRequested || _closeRequested)
                {
                    return false;
                }

                if (FlushPending)
                {
                    continue; // another writer's output took the room first
                }

                var n = Math.Min(data.Length, WriteChunk);
                _writtenInCall = 0;
                Write(data.Span[..n]);
                data = data[n..];
                AfterCall();
            }
            finally
            {
                _gate.Release();
            }
        }
        while (!data.IsEmpty);

        await WaitFlushedAsync(cancellationToken).ConfigureAwait(false);
        return !_closed && !_finished.Task.IsCompleted;
    }

    public override void Terminate(string reason)
    {
        CloseReason ??= reason;
        CloseImposed = true;
        _finished.TrySetResult();
        _context.Abort(new ConnectionAbortedException(reason));
    }

    /// <summary>Hands <paramref name="buffer"/> to the protocol as one span, copying a multi-segment buffer into a pooled array.</summary>
    public static int Deliver(KestrelConnection connection, ReadOnlySequence<byte> buffer)
    {
        if (buffer.IsSingleSegment)
        {
            return connection.Protocol!.OnReceived(connection, buffer.FirstSpan);
        }

        var length = (int)buffer.Length;
        var rented = ArrayPool<byte>.Shared.Rent(length);
        try
        {
            buffer.CopyTo(rented);
            return connection.Protocol!.OnReceived(connection, rented.AsSpan(0, length));
        }
        finally
        {
            ArrayPool<byte>.Shared.Return(rented);
        }
    }
}
