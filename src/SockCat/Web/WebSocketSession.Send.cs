using System.Buffers;
using System.Net.WebSockets;
using System.Text;

namespace SockCat.Web;

/// <summary>
/// The outbound side: a queue of whole messages bounded by <see cref="WebOptions.MaxSendQueueBytes"/>, sent one at a
/// time by whichever caller finds no send running. A message sent while nothing is queued goes out from the caller's
/// own memory without a copy (an echo's reply, sent from its receive loop, never changes thread); a queued one is
/// copied into a pooled buffer, returned once it is sent.
/// </summary>
public sealed partial class WebSocketSession
{
    private readonly Lock _sendLock = new();
    private readonly Queue<Outgoing> _queue = new();
    private int _queuedBytes;
    private bool _sending;
    private bool _closing;
    private TaskCompletionSource? _room;

    /// <summary>Bytes of messages queued or being sent, not yet taken by the peer's connection.</summary>
    public int QueuedBytes
    {
        get
        {
            lock (_sendLock)
            {
                return _queuedBytes;
            }
        }
    }

    /// <summary>
    /// Queues a message without waiting, from any thread (a fan-out to many WebSockets). Over the queue's bound the
    /// peer is a slow consumer: the WebSocket is cut, the reason logged, and false returned.
    /// </summary>
    /// <returns>False when the WebSocket is closing or ended, or was just cut for this message.</returns>
    public bool TrySend(WebSocketMessageType type, ReadOnlySpan<byte> payload)
    {
        ValidateType(type);
        bool startDrain, fits;
        int queued;
        lock (_sendLock)
        {
            if (_closing)
            {
                return false;
            }

            queued = _queuedBytes;
            fits = queued == 0 || queued + payload.Length <= Settings.MaxSendQueueBytes;
            startDrain = fits && !_sending;
            if (fits)
            {
                EnqueueCopy(type, payload);
                _sending = true;
            }
        }

        if (!fits)
        {
            Volatile.Write(ref _cutAsSlowConsumer, true);
            Abort($"slow consumer: {queued} bytes unsent and {payload.Length} more, over the {Settings.MaxSendQueueBytes}-byte send queue bound");
            return false;
        }

        if (startDrain)
        {
            _ = DrainAsync();
        }

        return true;
    }

    /// <summary>Encodes <paramref name="text"/> as UTF-8 and queues it as a text message, as <see cref="TrySend"/>.</summary>
    public bool TrySendText(string text)
    {
        ArgumentNullException.ThrowIfNull(text);
        var rented = ArrayPool<byte>.Shared.Rent(Encoding.UTF8.GetMaxByteCount(text.Length));
        try
        {
            return TrySend(WebSocketMessageType.Text, rented.AsSpan(0, Encoding.UTF8.GetBytes(text, rented)));
        }
        finally
        {
            ArrayPool<byte>.Shared.Return(rented);
        }
    }

    /// <summary>
    /// Sends a message, waiting (without blocking a thread) while the queue is over its bound: a producer's
    /// backpressure. Callable from any thread; messages go out in the order their sends began.
    /// </summary>
    /// <returns>False when the WebSocket is closing or ended; the message was not sent.</returns>
    public async ValueTask<bool> SendAsync(WebSocketMessageType type, ReadOnlyMemory<byte> payload, CancellationToken cancellationToken = default)
    {
        ValidateType(type);
        while (true)
        {
            Task? room = null;
            bool direct = false, startDrain = false;
            lock (_sendLock)
            {
                if (_closing)
                {
                    return false;
                }

                if (!_sending && _queuedBytes == 0)
                {
                    direct = true;
                    _sending = true;
                    _queuedBytes = payload.Length;
                }
                else if (_queuedBytes == 0 || _queuedBytes + payload.Length <= Settings.MaxSendQueueBytes)
                {
                    EnqueueCopy(type, payload.Span);
                    startDrain = !_sending;
                    _sending = true;
                }
                else
                {
                    room = (_room ??= new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously)).Task;
                }
            }

            if (room is not null)
            {
                await room.WaitAsync(cancellationToken).ConfigureAwait(false);
                continue;
            }

            if (direct)
            {
                if (!await SendOneAsync(type, payload, null).ConfigureAwait(false))
                {
                    return false;
                }

                await DrainAsync().ConfigureAwait(false);
            }
            else if (startDrain)
            {
                await DrainAsync().ConfigureAwait(false);
            }

            return true;
        }
    }

    /// <summary>Encodes <paramref name="text"/> as UTF-8 and sends it as a text message, as <see cref="SendAsync"/>.</summary>
    public ValueTask<bool> SendTextAsync(string text, CancellationToken cancellationToken = default) =>
        SendAsync(WebSocketMessageType.Text, Encoding.UTF8.GetBytes(text), cancellationToken);

    /// <summary>
    /// Closes the WebSocket after the messages already queued: sends a close frame with <paramref name="status"/> and
    /// <paramref name="description"/> (at most 123 UTF-8 bytes) and waits a few seconds for the peer's. Later sends
    /// return false. A description is logged as the reason the server closed the connection.
    /// </summary>
    public void Close(WebSocketCloseStatus status = WebSocketCloseStatus.NormalClosure, string? description = null)
    {
        if (description is not null)
        {
            SetReason(description);
        }

        bool startDrain;
        lock (_sendLock)
        {
            if (_closing)
            {
                return;
            }

            _closing = true;
            _queue.Enqueue(new Outgoing(null, 0, WebSocketMessageType.Close, status, Truncate(description)));
            startDrain = !_sending;
            _sending = true;
        }

        // The peer has this long to answer the close frame; then the connection is dropped.
        _ended.CancelAfter(Settings.CloseTimeout);
        if (startDrain)
        {
            _ = DrainAsync();
        }
    }

    /// <summary>Ends the WebSocket at once, dropping queued messages, and logs <paramref name="reason"/>.</summary>
    public void Abort(string reason)
    {
        SetReason(reason);
        StopSending();
        _ended.Cancel();
        _socket.Abort();
    }

    private void EnqueueCopy(WebSocketMessageType type, ReadOnlySpan<byte> payload)
    {
        var buffer = ArrayPool<byte>.Shared.Rent(Math.Max(1, payload.Length));
        payload.CopyTo(buffer);
        _queue.Enqueue(new Outgoing(buffer, payload.Length, type, default, null));
        _queuedBytes += payload.Length;
    }

    /// <summary>Sends what is queued until the queue is empty; only one drain runs at a time (<see cref="_sending"/>).</summary>
    private async Task DrainAsync()
    {
        while (true)
        {
            Outgoing item;
            lock (_sendLock)
            {
                if (!_queue.TryDequeue(out item))
                {
                    _sending = false;
                    return;
                }
            }

            if (item.Type == WebSocketMessageType.Close)
            {
                try
                {
                    await _socket.CloseOutputAsync(item.CloseStatus, item.CloseDescription, CancellationToken.None).ConfigureAwait(false);
                }
                catch (Exception ex) when (IsConnectionFailure(ex))
                {
                    StopSending();
                    return;
                }

                continue;
            }

            if (!await SendOneAsync(item.Type, item.Buffer.AsMemory(0, item.Length), item.Buffer).ConfigureAwait(false))
            {
                return;
            }
        }
    }

    /// <summary>Sends one message and takes its bytes off the queue's count; on failure stops all sending.</summary>
    private async ValueTask<bool> SendOneAsync(WebSocketMessageType type, ReadOnlyMemory<byte> payload, byte[]? pooled)
    {
        try
        {
            await _socket.SendAsync(payload, type, endOfMessage: true, CancellationToken.None).ConfigureAwait(false);
            if (_connection is not null)
            {
                _connection.BytesSent += payload.Length;
            }
        }
        catch (Exception ex) when (IsConnectionFailure(ex))
        {
            Sent(payload.Length, pooled);
            StopSending();
            return false;
        }

        Sent(payload.Length, pooled);
        return true;
    }

    private void Sent(int length, byte[]? pooled)
    {
        if (pooled is not null)
        {
            ArrayPool<byte>.Shared.Return(pooled);
        }

        TaskCompletionSource? room = null;
        lock (_sendLock)
        {
            _queuedBytes -= length;
            if (_queuedBytes <= Settings.MaxSendQueueBytes)
            {
                room = _room;
                _room = null;
            }
        }

        room?.TrySetResult();
    }

    /// <summary>No more sends: drops what is queued (returning its buffers) and wakes senders waiting for room.</summary>
    private void StopSending()
    {
        TaskCompletionSource? room;
        lock (_sendLock)
        {
            _closing = true;
            while (_queue.TryDequeue(out var item))
            {
                if (item.Buffer is not null)
                {
                    ArrayPool<byte>.Shared.Return(item.Buffer);
                    _queuedBytes -= item.Length;
                }
            }

            room = _room;
            _room = null;
        }

        room?.TrySetResult();
    }

    private static bool IsConnectionFailure(Exception ex) =>
        ex is WebSocketException or OperationCanceledException or IOException or ObjectDisposedException or InvalidOperationException;

    private static void ValidateType(WebSocketMessageType type)
    {
        if (type is not (WebSocketMessageType.Text or WebSocketMessageType.Binary))
        {
            throw new ArgumentOutOfRangeException(nameof(type), type, "Send Text or Binary; close with Close().");
        }
    }

    /// <summary>A close frame's reason holds at most 123 bytes (RFC 6455 5.5: 125 less the 2-byte status code).</summary>
    private static string? Truncate(string? description)
    {
        if (description is null || Encoding.UTF8.GetByteCount(description) <= 123)
        {
            return description;
        }

        var end = description.Length;
        while (Encoding.UTF8.GetByteCount(description.AsSpan(0, end)) > 123)
        {
            end--;
        }

        return description[..end];
    }

    private readonly record struct Outgoing(byte[]? Buffer, int Length, WebSocketMessageType Type, WebSocketCloseStatus CloseStatus, string? CloseDescription);
}
