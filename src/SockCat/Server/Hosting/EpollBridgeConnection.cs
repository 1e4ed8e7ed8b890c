using System.Buffers;
using System.Globalization;
using System.IO.Pipelines;
using System.Net;
using System.Threading.Tasks.Sources;
using Microsoft.AspNetCore.Connections;
using Microsoft.AspNetCore.Connections.Features;
using Microsoft.AspNetCore.Http.Features;

namespace SockCat.Server.Hosting;

/// <summary>
/// One epoll connection seen by Kestrel: to the loop it is a sans-IO protocol, to Kestrel a <see cref="ConnectionContext"/>
/// whose <see cref="Transport"/> is a pair of pipes. Received bytes are written into the input pipe on the loop thread;
/// when the pipe is full the loop stops reading the peer until Kestrel's side catches up. A pump reads the output pipe and
/// hands each chunk to the loop (<see cref="IConnection.Post(Action{IConnection, object}, object)"/>, or directly when the pump already runs inside one of this
/// connection's calls on the loop thread), and stops while the loop's queue for the peer is over its bound, until
/// <see cref="OnWritable"/>. Both pipes schedule inline, so an echo's whole round trip (loop, input pipe, Kestrel's handler,
/// output pipe, loop) runs on the loop thread within one receive, without a thread hop.
/// </summary>
internal sealed class EpollBridgeConnection : ConnectionContext, IConnectionProtocol, IValueTaskSource<bool>,
    IConnectionIdFeature, IConnectionTransportFeature, IConnectionItemsFeature, IConnectionLifetimeFeature, IConnectionEndPointFeature,
    IConnectionHalfCloseFeature, IEpollConnectionFeature
{
    // At most this much output per hand-over: the loop takes a chunk only while its queue is within the bound, so its queue
    // never passes twice the bound (where the engine would close the connection as a peer that does not read).
    private const int MaxChunk = 64 * 1024;

    private static readonly Action<IConnection, object?> SendPosted = static (c, s) => ((EpollBridgeConnection)s!).OnSendPosted(c);
    private static readonly Action<IConnection, object?> ResumePosted = static (c, s) => ((EpollBridgeConnection)s!).OnResumePosted(c);
    private static readonly Action<IConnection, object?> ShutdownPosted = static (c, _) => c.ShutdownSend();
    private static readonly Action<IConnection, object?> ClosePosted = static (c, _) => c.Close();
    private static readonly Action<IConnection, object?> AbortPosted = static (c, s) => c.Abort((string)s!);
    private static long _lastId;

    private readonly EpollConnectionListener _listener;
    private readonly IConnection _connection;
    private readonly Pipe _input;
    private readonly Pipe _output;
    private readonly IDuplexPipe _ownTransport;
    private readonly int _chunk;
    private readonly long _number = Interlocked.Increment(ref _lastId);
    private readonly CancellationTokenSource _closedSource = new();
    private readonly FeatureCollection _features = new(7);
    private ManualResetValueTaskSourceCore<bool> _sent;
    private ReadOnlySequence<byte> _pending;
    private IDictionary<object, object?>? _items;
    private string? _connectionId;
    private Task _pumping = Task.CompletedTask;
    private int _sending; // 1 while a chunk is handed to the loop and neither written nor dropped; whoever clears it completes _sent
    private int _callThread; // the loop thread's id while one of this connection's calls runs on it, else 0
    private bool _awaitingWritable; // loop thread: a chunk waits for the loop's queue to drain
    private bool _inputPaused; // loop thread: the input pipe is full and the loop is not reading the peer
    private bool _inputUnflushed; // loop thread: bytes written to the input pipe while paused
    private bool _inputDone; // loop thread: the input pipe's writer is completed, or its reader is
    private volatile bool _inputReaderGone;
    private volatile bool _closed;

    public EpollBridgeConnection(EpollConnectionListener listener, IConnection connection)
    {
        _listener = listener;
        _connection = connection;
        _input = new Pipe(listener.InputPipeOptions);
        _output = new Pipe(listener.OutputPipeOptions);
        _chunk = Math.Clamp(listener.OutputBound, 1, MaxChunk);
        Transport = _ownTransport = new DuplexPipe(_input.Reader, _output.Writer);
        LocalEndPoint = connection.LocalEndPoint;
        RemoteEndPoint = connection.RemoteEndPoint;
        ConnectionClosed = _closedSource.Token;
        _features.Set<IConnectionIdFeature>(this);
        _features.Set<IConnectionTransportFeature>(this);
        _features.Set<IConnectionItemsFeature>(this);
        _features.Set<IConnectionLifetimeFeature>(this);
        _features.Set<IConnectionEndPointFeature>(this);
        _features.Set<IConnectionHalfCloseFeature>(this);
        _features.Set<IEpollConnectionFeature>(this);
    }

    public override string ConnectionId
    {
        get => _connectionId ??= "epoll-" + _number.ToString(CultureInfo.InvariantCulture);
        set => _connectionId = value;
    }

    public override IFeatureCollection Features => _features;

    public override IDictionary<object, object?> Items
    {
        get => _items ??= new Dictionary<object, object?>();
        set => _items = value;
    }

    public override IDuplexPipe Transport { get; set; }

    public override CancellationToken ConnectionClosed { get; set; }

    // Kestrel reads and writes the pipes as they are unless middleware (TLS) replaced them with its own.
    IConnection? IEpollConnectionFeature.Connection => ReferenceEquals(Transport, _ownTransport) ? _connection : null;

    public override EndPoint? LocalEndPoint { get; set; }

    public override EndPoint? RemoteEndPoint { get; set; }

    public override void Abort(ConnectionAbortedException abortReason)
    {
        if (!_closed)
        {
            _connection.Post(AbortPosted, abortReason.Message);
        }
    }

    public override async ValueTask DisposeAsync()
    {
        // Kestrel is done with the connection: end both sides it held (middleware may have replaced Transport, so the
        // pipes themselves), let the pump hand over what is left, then close once that is sent.
        _input.Reader.Complete();
        _output.Writer.Complete();
        await _pumping.ConfigureAwait(false);
        if (!_closed)
        {
            _connection.Post(ClosePosted, null);
        }
    }

    /// <summary>
    /// Completes the output pipe itself (middleware may have replaced <see cref="Transport"/>): the pump hands the loop
    /// what is left, then asks it to shut down the send side (<c>shutdown(SHUT_WR)</c> once its queue is sent), while
    /// the input pipe is fed as before.
    /// </summary>
    public Task ShutdownSendAsync()
    {
        _output.Writer.Complete();
        return Task.CompletedTask;
    }

    // ---- IConnectionProtocol: called by the epoll loop, on its thread ----

    public void OnConnected(IConnection connection)
    {
        _pumping = PumpOutputAsync();
        if (!_listener.TryEnqueue(this))
        {
            connection.Abort("Kestrel is not accepting connections");
        }
    }

    public int OnReceived(IConnection connection, ReadOnlySpan<byte> data)
    {
        if (_inputDone)
        {
            return data.Length; // Kestrel's side stopped reading: what still arrives goes nowhere
        }

        _input.Writer.Write(data);
        if (_inputPaused)
        {
            _inputUnflushed = true;
            return data.Length;
        }

        _callThread = Environment.CurrentManagedThreadId;
        try
        {
            FlushInput(connection);
        }
        finally
        {
            _callThread = 0;
        }

        return data.Length;
    }

    public void OnInputEnded(IConnection connection, ReadOnlySpan<byte> unconsumed)
    {
        // No half-close here, unlike the default: Kestrel's side decides by completing its output.
        if (_inputDone)
        {
            return;
        }

        _inputDone = true;
        _callThread = Environment.CurrentManagedThreadId;
        try
        {
            _input.Writer.Complete();
        }
        finally
        {
            _callThread = 0;
        }
    }

    public void OnWritable(IConnection connection)
    {
        if (!_awaitingWritable)
        {
            return;
        }

        _awaitingWritable = false;
        _callThread = Environment.CurrentManagedThreadId;
        try
        {
            TrySend(connection, posted: true);
        }
        finally
        {
            _callThread = 0;
        }
    }

    public void OnClosed(IConnection connection, string? reason)
    {
        _closed = true;
        if (!_inputDone)
        {
            _inputDone = true;
            _input.Writer.Complete(reason is null ? null : new ConnectionResetException(reason));
        }

        Finish(false);
        try
        {
            // Wakes the pump if it waits for output that will never be sent.
            _output.Reader.CancelPendingRead();
        }
        catch (InvalidOperationException)
        {
            // The pump has already finished and completed its reader.
        }
        // Off the loop thread: ConnectionClosed's callbacks are Kestrel's and the application's code.
        ThreadPool.UnsafeQueueUserWorkItem(static s => s.Cancel(), _closedSource, preferLocal: false);
    }

    // ---- input: loop thread ----

    private void FlushInput(IConnection connection)
    {
        var flush = _input.Writer.FlushAsync();
        if (!flush.IsCompleted)
        {
            _inputPaused = true;
            connection.PauseReading();
            _ = ResumeWhenFlushedAsync(flush);
            return;
        }

        if (flush.GetAwaiter().GetResult().IsCompleted)
        {
            _inputDone = true;
        }
    }

    private async Task ResumeWhenFlushedAsync(ValueTask<FlushResult> flush)
    {
        // Runs where Kestrel's side frees room (AdvanceTo, inline), maybe not the loop thread: resume on the loop.
        if ((await flush.ConfigureAwait(false)).IsCompleted)
        {
            _inputReaderGone = true;
        }

        _connection.Post(ResumePosted, this);
    }

    private void OnResumePosted(IConnection connection)
    {
        _inputPaused = false;
        _inputDone |= _inputReaderGone;
        _callThread = Environment.CurrentManagedThreadId;
        try
        {
            if (!_inputDone && _inputUnflushed)
            {
                _inputUnflushed = false;
                FlushInput(connection);
                if (_inputPaused)
                {
                    return;
                }
            }

            connection.ResumeReading();
        }
        finally
        {
            _callThread = 0;
        }
    }

    // ---- output: the pump, on whatever thread Kestrel's side flushes from ----

    private async Task PumpOutputAsync()
    {
        var reader = _output.Reader;
        string? error = null;
        try
        {
            while (true)
            {
                var result = await reader.ReadAsync().ConfigureAwait(false);
                var buffer = result.Buffer;
                var sent = true;
                while (!buffer.IsEmpty && sent)
                {
                    var chunk = buffer.Slice(0, Math.Min(buffer.Length, _chunk));
                    sent = await SendAsync(chunk).ConfigureAwait(false);
                    buffer = buffer.Slice(chunk.End);
                }

                reader.AdvanceTo(result.Buffer.End);
                if (!sent || _closed || result.IsCompleted || result.IsCanceled)
                {
                    break;
                }
            }
        }
        catch (Exception ex)
        {
            // Kestrel's side completed its output with an error.
            error = ex.Message;
        }

        reader.Complete();
        if (!_closed)
        {
            _connection.Post(error is null ? ShutdownPosted : AbortPosted, error);
        }
    }

    private ValueTask<bool> SendAsync(in ReadOnlySequence<byte> chunk)
    {
        _pending = chunk;
        _sent.Reset();
        Volatile.Write(ref _sending, 1);
        if (_closed)
        {
            Finish(false);
        }
        else if (_callThread == Environment.CurrentManagedThreadId)
        {
            TrySend(_connection, posted: false);
        }
        else if (!_connection.Post(SendPosted, this))
        {
            Finish(false);
        }

        return new ValueTask<bool>(this, _sent.Version);
    }

    private void OnSendPosted(IConnection connection)
    {
        _callThread = Environment.CurrentManagedThreadId;
        try
        {
            TrySend(connection, posted: true);
        }
        finally
        {
            _callThread = 0;
        }
    }

    /// <summary>Loop thread, inside a call: writes the pending chunk if the loop's queue is within its bound.</summary>
    private void TrySend(IConnection connection, bool posted)
    {
        if (Volatile.Read(ref _sending) == 0)
        {
            return;
        }

        if (connection.PendingOutputBytes > _listener.OutputBound)
        {
            if (posted)
            {
                // At the start of a posted call what is pending is queued and unsent, so the loop is waiting for EPOLLOUT
                // and OnWritable will come once the peer has taken it all.
                _awaitingWritable = true;
            }
            else if (!connection.Post(SendPosted, this))
            {
                // Within a receive, pending output includes this call's own, not yet sent: let the loop send it first.
                Finish(false);
            }

            return;
        }

        foreach (var segment in _pending)
        {
            connection.Write(segment.Span);
        }

        Finish(true);
    }

    private void Finish(bool written)
    {
        if (Interlocked.Exchange(ref _sending, 0) == 1)
        {
            _sent.SetResult(written);
        }
    }

    bool IValueTaskSource<bool>.GetResult(short token) => _sent.GetResult(token);

    ValueTaskSourceStatus IValueTaskSource<bool>.GetStatus(short token) => _sent.GetStatus(token);

    void IValueTaskSource<bool>.OnCompleted(Action<object?> continuation, object? state, short token, ValueTaskSourceOnCompletedFlags flags) =>
        _sent.OnCompleted(continuation, state, token, flags);

    private sealed class DuplexPipe(PipeReader input, PipeWriter output) : IDuplexPipe
    {
        public PipeReader Input { get; } = input;

        public PipeWriter Output { get; } = output;
    }
}
