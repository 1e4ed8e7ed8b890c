using System.Buffers;
using System.IO.Pipelines;
using Microsoft.AspNetCore.Connections;
using SockCat.Endpoints;

namespace SockCat.Server.Hosting;

/// <summary>
/// A connection hosted by Kestrel, seen by a protocol exactly as an epoll connection is. Calls are serialized by a
/// per-connection gate (uncontended, it completes synchronously without allocating), which is what lets
/// <see cref="Post"/> callbacks from other threads run between the read loop's calls.
/// </summary>
internal sealed class KestrelConnection : ServerConnection
{
    private readonly ConnectionContext _context;
    private readonly SockCatServer _server;
    private readonly PipeWriter _output;
    private readonly SemaphoreSlim _gate = new(1, 1);
    private readonly TaskCompletionSource _finished = new(TaskCreationOptions.RunContinuationsAsynchronously);
    private TaskCompletionSource? _resumed;
    private byte[]? _discard;
    private long _writtenInCall;
    private bool _discarding;
    private bool _inputEnded;
    private bool _shutdownRequested;
    private bool _closeRequested;
    private volatile bool _closed;

    public KestrelConnection(ConnectionContext context, SockCatServer server, long id, EndpointUrl listener)
        : base(id, listener, PeerAddress.FromEndPoint(context.RemoteEndPoint))
    {
        _context = context;
        _server = server;
        _output = context.Transport.Output;
    }

    public SockCatServer Server => _server;

    public IConnectionProtocol? Protocol { get; set; }

    /// <summary>The reason the server closed the connection (a limit, a protocol's Close or Abort), for the log.</summary>
    public string? CloseReason { get; private set; }

    public bool CloseImposed { get; private set; }

    public bool InputEnded => _inputEnded;

    /// <summary>Completes when the protocol has closed, half-closed after its input ended, or been aborted.</summary>
    public Task Finished => _finished.Task;

    public bool IsClosed => _closed;

    public override int PendingOutputBytes => (int)Math.Min(int.MaxValue, _output.UnflushedBytes);

    public override System.Net.EndPoint? LocalEndPoint => _context.LocalEndPoint;

    /// <summary>Runs one protocol call under the gate, then flushes and applies what it asked for.</summary>
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
                    ServerLog.ProtocolFailed(_server.Logger, Id, Peer, ex);
                    SetAbort($"protocol error: {ex.GetType().Name}");
                }

                await AfterCallAsync().ConfigureAwait(false);
            }

            return result;
        }
        finally
        {
            _gate.Release();
        }
    }

    public void MarkInputEnded() => _inputEnded = true;

    private async ValueTask AfterCallAsync()
    {
        if (CloseReason is not null && CloseImposed && !_closeRequested)
        {
            _context.Abort(new ConnectionAbortedException(CloseReason));
            _finished.TrySetResult();
            return;
        }

        if (_output.UnflushedBytes > 0)
        {
            try
            {
                // Kestrel's MaxWriteBufferSize is the outbound bound: the flush waits while more than that is queued,
                // which stops this connection's read loop (backpressure) until the peer reads.
                await _output.FlushAsync().ConfigureAwait(false);
            }
            catch (Exception ex) when (ex is IOException or ConnectionAbortedException or InvalidOperationException)
            {
                _finished.TrySetResult();
                return;
            }
        }

        if (_closeRequested || (_shutdownRequested && _inputEnded))
        {
            // Completing Kestrel's output closes both directions (aspnetcore#14937), so a half-close is only honoured
            // once input has ended too; until then the shutdown waits (see ProtocolConnectionHandler).
            _finished.TrySetResult();
            _context.Transport.Input.CancelPendingRead();
        }
    }

    private void SetAbort(string reason)
    {
        CloseReason ??= reason;
        CloseImposed = true;
        _discarding = true;
    }

    public async Task WaitResumedAsync()
    {
        if (Volatile.Read(ref _resumed) is { } resumed)
        {
            await resumed.Task.ConfigureAwait(false);
        }
    }

    public void MarkClosed() => _closed = true;

    public override Memory<byte> GetMemory(int sizeHint = 0)
    {
        var need = Math.Max(sizeHint, 256);
        if (!_discarding && !_shutdownRequested && _writtenInCall + need > 2L * _server.Options.MaxOutputQueueBytes)
        {
            SetAbort($"over {2 * _server.Options.MaxOutputQueueBytes} bytes queued for a peer that is not reading");
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

        return _output.GetMemory(sizeHint);
    }

    public override Span<byte> GetSpan(int sizeHint = 0) => GetMemory(sizeHint).Span;

    public override void Advance(int count)
    {
        if (_discarding || _shutdownRequested || _closed)
        {
            return;
        }

        _output.Advance(count);
        _writtenInCall += count;
        BytesSent += count;
        LastActivity = Environment.TickCount64;
    }

    public override void Write(ReadOnlySpan<byte> data)
    {
        while (!data.IsEmpty)
        {
            var span = GetSpan(Math.Min(data.Length, 64 * 1024));
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

    public override bool Post(Action<IConnection, object?> callback, object? state)
    {
        ArgumentNullException.ThrowIfNull(callback);
        if (_closed)
        {
            return false;
        }

        _ = CallAsync(static (c, s) =>
        {
            s.callback(c, s.state);
            return 0;
        }, (callback, state)).AsTask();
        return true;
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
