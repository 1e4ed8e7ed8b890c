using System.Buffers;
using System.Net;
using System.Net.WebSockets;
using SockCat.Endpoints;
using SockCat.Server;

namespace SockCat.Web;

/// <summary>
/// An <see cref="IConnection"/> over WebSocket messages, so a service built on the connection contract (a chat hub that
/// posts events to its users' connections) can serve a browser too. Calls are serialized as on an engine connection:
/// <see cref="Run"/> (from the message handler) and posted callbacks never overlap, and posted callbacks run in order on
/// the thread pool. What a call writes is sent as one message (<see cref="MessageType"/>) when the call returns, or
/// earlier at each <see cref="FlushMessage"/>, through the session's bounded queue: a peer that does not read is cut as
/// a slow consumer (<see cref="WebSocketSession.TrySend"/>) and <see cref="WasCutAsSlowConsumer"/> says so.
/// <para>
/// A connection may outlive its WebSocket (a browser on a flaky network): with a <c>resumeWindow</c>, a WebSocket that
/// ends without the service closing the connection leaves it detached, its output held (up to the send queue's bound)
/// until a new WebSocket is handed over with <see cref="Attach"/>, or closed when the window passes. Messages are
/// numbered (<see cref="NextMessageIndex"/>) and the recent ones kept, so a peer that says how many it received gets
/// the rest again, those that went into a dead WebSocket before the server noticed included. The
/// <c>closed</c> callback runs once, serialized with the other calls, when the connection is gone for good.
/// </para>
/// </summary>
public sealed class WebSocketConnection : IConnection
{
    // Held while one of the connection's calls runs (Lock is reentrant: a call may close or flush).
    private readonly Lock _gate = new();
    // Guards the state below and the posted queue; never held while calling out.
    private readonly Lock _state = new();
    private readonly Queue<Posted> _posted = new();
    // With a resume window: recent messages, oldest first, for a peer that comes back. Those sent may have gone into a
    // WebSocket that was already dead (the server finds out only at the next ping); those from _unsentFrom on were
    // held while detached. Sent ones are dropped past the send queue's bound; unsent ones past it cut the peer.
    private readonly Queue<Recent> _recent = new();
    private readonly ArrayBufferWriter<byte> _output = new(1024);
    private readonly TimeSpan _resumeWindow;
    private readonly Action<WebSocketConnection, string?>? _closed;
    private readonly int _holdLimit;
    private WebSocketSession? _session;
    private ITimer? _resumeTimer;
    private TaskCompletionSource? _paused;
    private int _recentBytes;
    private int _unsentBytes;
    private long _nextIndex;
    private long _unsentFrom;
    private bool _draining;
    private bool _ended;
    private bool _postsClosed;
    private bool _closing;
    private bool _cutAsSlowConsumer;

    /// <summary>Makes a connection over <paramref name="session"/>.</summary>
    /// <param name="session">The WebSocket it runs on now.</param>
    /// <param name="listener">The listener it came in on, as the route's hook was given it (<see cref="WebOptions.MapRoutes"/>).</param>
    /// <param name="resumeWindow">How long the connection waits detached for a new WebSocket (<see cref="Attach"/>) when this one ends; zero: it closes with its WebSocket.</param>
    /// <param name="closed">Called once, serialized with the connection's calls, when it is gone: with the reason, or null for a plain close.</param>
    public WebSocketConnection(WebSocketSession session, EndpointUrl listener, TimeSpan resumeWindow = default, Action<WebSocketConnection, string?>? closed = null)
    {
        ArgumentNullException.ThrowIfNull(session);
        ArgumentNullException.ThrowIfNull(listener);
        ArgumentOutOfRangeException.ThrowIfLessThan(resumeWindow, TimeSpan.Zero);
        Listener = listener;
        _resumeWindow = resumeWindow;
        _closed = closed;
        _holdLimit = session.MaxSendQueueBytes;
        Id = session.Id;
        var http = session.HttpContext.Connection;
        RemoteEndPoint = http.RemoteIpAddress is { } remote ? new IPEndPoint(remote, http.RemotePort) : null;
        LocalEndPoint = http.LocalIpAddress is { } local ? new IPEndPoint(local, http.LocalPort) : null;
        Attach(session);
    }

    /// <inheritdoc/>
    public long Id { get; }

    /// <inheritdoc/>
    public EndPoint? RemoteEndPoint { get; }

    /// <inheritdoc/>
    public EndPoint? LocalEndPoint { get; }

    /// <inheritdoc/>
    public EndpointUrl Listener { get; }

    /// <summary>The type of the messages the connection's output is sent as. Defaults to text (write UTF-8).</summary>
    public WebSocketMessageType MessageType { get; init; } = WebSocketMessageType.Text;

    /// <summary>The WebSocket the connection runs on now; null while detached or once closed.</summary>
    public WebSocketSession? Session
    {
        get
        {
            lock (_state)
            {
                return _session;
            }
        }
    }

    /// <summary>
    /// True once the connection is gone for good (closed, cut, or not resumed in time) and its <c>closed</c> callback has
    /// run: posts are refused from then on.
    /// </summary>
    public bool IsClosed
    {
        get
        {
            lock (_state)
            {
                return _postsClosed;
            }
        }
    }

    /// <summary>True when the connection ended because its peer did not read what was sent (or held) for it.</summary>
    public bool WasCutAsSlowConsumer => Volatile.Read(ref _cutAsSlowConsumer);

    /// <summary>The send queue's bound this connection keeps, in bytes (<see cref="WebOptions.MaxSendQueueBytes"/>).</summary>
    public int MaxSendQueueBytes => _holdLimit;

    /// <inheritdoc/>
    public int PendingOutputBytes
    {
        get
        {
            lock (_state)
            {
                return (_session?.QueuedBytes ?? 0) + _unsentBytes;
            }
        }
    }

    /// <summary>
    /// Completed unless <see cref="PauseReading"/> is in force: a message handler that honours the connection's
    /// backpressure awaits it before returning from <see cref="IWebSocketMessageHandler.OnMessageAsync"/>.
    /// </summary>
    public Task ReadingResumed => Volatile.Read(ref _paused)?.Task ?? Task.CompletedTask;

    /// <summary>
    /// Runs <paramref name="action"/> now on the caller's thread (a message handler's), serialized with the posted
    /// callbacks; what it writes is sent as one message when it returns.
    /// </summary>
    public void Run(Action<IConnection, object?> action, object? state)
    {
        ArgumentNullException.ThrowIfNull(action);
        lock (_gate)
        {
            try
            {
                action(this, state);
            }
            finally
            {
                FlushMessage();
            }
        }
    }

    /// <summary>The index the next message written will have: messages are numbered from 0 over the connection's life.</summary>
    public long NextMessageIndex
    {
        get
        {
            lock (_state)
            {
                return _nextIndex;
            }
        }
    }

    /// <summary>
    /// True when <see cref="Attach"/> can replay every message from <paramref name="index"/> on: it is still kept (within
    /// the send queue's bound of recent messages) or not yet written. Messages are kept only with a resume window.
    /// </summary>
    public bool CanReplayFrom(long index)
    {
        lock (_state)
        {
            return index <= _nextIndex && index >= (_recent.TryPeek(out var oldest) ? oldest.Index : _nextIndex);
        }
    }

    /// <summary>
    /// Hands the connection a new WebSocket (the same peer come back) and sends on it first, in order, the kept messages
    /// from <paramref name="replayFrom"/> on (the count the peer says it received), or by default those held while no
    /// WebSocket was attached. A WebSocket still attached is aborted as replaced. False when the connection is closed.
    /// </summary>
    public bool Attach(WebSocketSession session, long? replayFrom = null)
    {
        ArgumentNullException.ThrowIfNull(session);
        lock (_gate)
        {
            WebSocketSession? old;
            Recent[] replay;
            lock (_state)
            {
                if (_ended)
                {
                    return false;
                }

                old = _session;
                _session = session;
                _resumeTimer?.Dispose();
                _resumeTimer = null;
                var from = replayFrom ?? _unsentFrom;
                replay = [.. _recent.Where(r => r.Index >= from)];
            }

            old?.Abort("replaced by a new WebSocket for the same connection");
            session.Ended.UnsafeRegister(static (s, _) => ((WebSocketConnection)((object[])s!)[0]).OnSessionEnded((WebSocketSession)((object[])s!)[1]), new object[] { this, session });
            foreach (var message in replay)
            {
                if (!session.TrySend(MessageType, message.Data))
                {
                    break;
                }
            }

            lock (_state)
            {
                _unsentFrom = _nextIndex;
                _unsentBytes = 0;
                TrimSent();
            }

            return true;
        }
    }

    /// <inheritdoc/>
    public void Advance(int count) => _output.Advance(count);

    /// <inheritdoc/>
    public Memory<byte> GetMemory(int sizeHint = 0) => _output.GetMemory(sizeHint);

    /// <inheritdoc/>
    public Span<byte> GetSpan(int sizeHint = 0) => _output.GetSpan(sizeHint);

    /// <inheritdoc/>
    public void Write(ReadOnlySpan<byte> data) => _output.Write(data);

    /// <summary>
    /// Ends the message being written: what was written since the last one is sent (or held, while detached) as one
    /// message. A call's output is flushed when it returns; a call that writes several messages (a burst of events)
    /// flushes after each.
    /// </summary>
    public void FlushMessage()
    {
        if (_output.WrittenCount == 0)
        {
            return;
        }

        try
        {
            Send(_output.WrittenSpan);
        }
        finally
        {
            _output.ResetWrittenCount();
        }
    }

    /// <inheritdoc/>
    public void ShutdownSend() => Close();

    /// <summary>Closes the WebSocket after what is queued (a normal close, <paramref name="reason"/> logged) and ends the connection.</summary>
    public void Close(string? reason = null)
    {
        FlushMessage();
        WebSocketSession? session;
        lock (_state)
        {
            _closing = true;
            session = _session;
        }

        if (session is null)
        {
            End(reason);
        }
        else
        {
            session.Close(WebSocketCloseStatus.NormalClosure, reason);
        }
    }

    /// <summary>Ends the WebSocket and the connection at once, dropping what is queued, and logs <paramref name="reason"/>.</summary>
    public void Abort(string reason)
    {
        WebSocketSession? session;
        lock (_state)
        {
            _closing = true;
            session = _session;
        }

        End(reason);
        session?.Abort(reason);
    }

    /// <summary>Makes <see cref="ReadingResumed"/> incomplete until <see cref="ResumeReading"/>.</summary>
    public void PauseReading() =>
        Interlocked.CompareExchange(ref _paused, new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously), null);

    /// <summary>Completes <see cref="ReadingResumed"/>.</summary>
    public void ResumeReading() => Interlocked.Exchange(ref _paused, null)?.TrySetResult();

    /// <inheritdoc/>
    public bool Post(Action<IConnection, object?> callback, object? state) => Post(callback, state, null);

    /// <inheritdoc/>
    public bool Post(Action<IConnection, object?> callback, object? state, Action<object?>? dropped)
    {
        ArgumentNullException.ThrowIfNull(callback);
        bool posted, start = false;
        lock (_state)
        {
            posted = !_postsClosed;
            if (posted)
            {
                _posted.Enqueue(new Posted(callback, state, dropped));
                start = !_draining;
                _draining = true;
            }
        }

        if (!posted)
        {
            dropped?.Invoke(state);
            return false;
        }

        if (start)
        {
            ThreadPool.UnsafeQueueUserWorkItem(static c => c.DrainPosted(), this, preferLocal: false);
        }

        return true;
    }

    private void DrainPosted()
    {
        while (true)
        {
            Posted item;
            lock (_state)
            {
                if (!_posted.TryDequeue(out item))
                {
                    _draining = false;
                    return;
                }
            }

            lock (_gate)
            {
                try
                {
                    item.Callback(this, item.State);
                }
                catch (Exception ex)
                {
                    Abort($"posted callback failed: {ex.GetType().Name}: {ex.Message}");
                }
                finally
                {
                    FlushMessage();
                }
            }
        }
    }

    // Under the gate (a call's flush).
    private void Send(ReadOnlySpan<byte> message)
    {
        WebSocketSession? session;
        long index;
        var kept = false;
        lock (_state)
        {
            if (_ended)
            {
                return;
            }

            index = _nextIndex++;
            session = _session;
            if (_resumeWindow > TimeSpan.Zero)
            {
                _recent.Enqueue(new Recent(index, message.ToArray()));
                _recentBytes += message.Length;
                _unsentBytes += message.Length;
                kept = true;
            }
        }

        // A WebSocket that is closing takes nothing more: the message stays unsent for the one that may come back.
        if (session is not null && (session.TrySend(MessageType, message) || session.WasCutAsSlowConsumer))
        {
            if (kept)
            {
                lock (_state)
                {
                    if (_unsentFrom == index)
                    {
                        _unsentFrom = index + 1;
                        _unsentBytes -= message.Length;
                    }

                    TrimSent();
                }
            }

            return;
        }

        int unsent;
        lock (_state)
        {
            unsent = _unsentBytes;
        }

        if (kept && unsent > _holdLimit && unsent > message.Length)
        {
            Volatile.Write(ref _cutAsSlowConsumer, true);
            End($"slow consumer: {unsent - message.Length} bytes held while no WebSocket was attached and {message.Length} more, over the {_holdLimit}-byte send queue bound");
        }
    }

    // Under the state lock: sent messages past the bound are no longer kept.
    private void TrimSent()
    {
        while (_recentBytes > _holdLimit && _recent.TryPeek(out var oldest) && oldest.Index < _unsentFrom)
        {
            _recent.Dequeue();
            _recentBytes -= oldest.Data.Length;
        }
    }

    // Any thread: the WebSocket's Ended token fired.
    private void OnSessionEnded(WebSocketSession session)
    {
        string? reason;
        lock (_state)
        {
            if (_ended || !ReferenceEquals(_session, session))
            {
                return;
            }

            _session = null;
            reason = session.CloseReason;
            if (!session.WasCutAsSlowConsumer && !_closing && _resumeWindow > TimeSpan.Zero)
            {
                _resumeTimer = TimeProvider.System.CreateTimer(
                    static s => ((WebSocketConnection)((object[])s!)[0]).OnResumeWindowPassed((WebSocketSession)((object[])s!)[1]),
                    new object[] { this, session }, _resumeWindow, Timeout.InfiniteTimeSpan);
                return;
            }
        }

        if (session.WasCutAsSlowConsumer)
        {
            Volatile.Write(ref _cutAsSlowConsumer, true);
        }

        End(reason);
    }

    private void OnResumeWindowPassed(WebSocketSession last)
    {
        lock (_state)
        {
            // Resumed meanwhile (or resumed and dropped again: that drop's own timer decides).
            if (_ended || _session is not null || _resumeTimer is null)
            {
                return;
            }
        }

        End($"no WebSocket came back within {_resumeWindow.TotalSeconds:0.###} s (the last ended: {last.CloseReason ?? "closed by the peer"})");
    }

    private void End(string? reason)
    {
        lock (_state)
        {
            if (_ended)
            {
                return;
            }

            _ended = true;
            _session = null;
            _resumeTimer?.Dispose();
            _resumeTimer = null;
            _recent.Clear();
            _recentBytes = 0;
            _unsentBytes = 0;
        }

        ResumeReading();
        if (_closed is null)
        {
            ClosePosts();
            return;
        }

        // Not inline: the end may be found inside another call (a send that cut the peer), whose state is mid-change.
        // Posts are still taken until the callback has run, as on an engine connection (closed once OnClosed is over):
        // a service that reads a refused post as "gone" must not think so before its own closing code has run.
        ThreadPool.UnsafeQueueUserWorkItem(static s =>
        {
            var (connection, why) = ((WebSocketConnection, string?))s!;
            lock (connection._gate)
            {
                connection._closed!(connection, why);
            }

            connection.ClosePosts();
        }, (this, reason));
    }

    // From now on Post returns false; what is still queued is handed to its dropped callback.
    private void ClosePosts()
    {
        List<Posted> dropped;
        lock (_state)
        {
            _postsClosed = true;
            dropped = [.. _posted];
            _posted.Clear();
        }

        foreach (var item in dropped)
        {
            item.Dropped?.Invoke(item.State);
        }
    }

    private readonly record struct Recent(long Index, byte[] Data);

    private readonly record struct Posted(Action<IConnection, object?> Callback, object? State, Action<object?>? Dropped);
}
