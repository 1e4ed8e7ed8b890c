using System.Buffers;
using System.Net.WebSockets;

namespace SockCat.Web;

/// <summary>
/// The inbound side: whole messages assembled from their fragments in a pooled buffer that grows up to the message
/// limit and no further, handed to the handler one at a time. Frame rules (masking, opcodes, UTF-8 in text messages,
/// control frames, pings and pongs) are ASP.NET Core's WebSocket, which closes with 1002 or 1007 itself.
/// </summary>
public sealed partial class WebSocketSession
{
    private const int InitialReceiveBuffer = 4096;

    internal async Task RunAsync(IWebSocketMessageHandler handler)
    {
        string? ended = null;
        var buffer = ArrayPool<byte>.Shared.Rent(InitialReceiveBuffer);
        try
        {
            if (!await CallHandlerAsync(static (h, s, _) => h.OnOpenedAsync(s), handler, 0).ConfigureAwait(false))
            {
                return;
            }

            var limit = Settings.MaxMessageBytes;
            var count = 0;
            var discarding = false;
            while (true)
            {
                if (count == buffer.Length)
                {
                    // Room for one byte over the limit: a message that fills it is too big, found before more is read.
                    var grown = ArrayPool<byte>.Shared.Rent((int)Math.Min(2L * buffer.Length, limit + 1L));
                    buffer.AsSpan(0, count).CopyTo(grown);
                    ArrayPool<byte>.Shared.Return(buffer);
                    buffer = grown;
                }

                var result = await _socket.ReceiveAsync(buffer.AsMemory(count), CancellationToken.None).ConfigureAwait(false);
                if (result.MessageType == WebSocketMessageType.Close)
                {
                    await AnswerCloseAsync().ConfigureAwait(false);
                    break;
                }

                count += result.Count;
                if (_connection is not null)
                {
                    _connection.BytesReceived += result.Count;
                }

                if (discarding || count > limit)
                {
                    if (!discarding)
                    {
                        discarding = true;
                        Close(WebSocketCloseStatus.MessageTooBig, $"message over {limit} bytes (close 1009)");
                    }

                    // Until the peer answers the close frame, what it still sends is read and dropped.
                    count = 0;
                    continue;
                }

                if (!result.EndOfMessage)
                {
                    continue;
                }

                var message = new WebSocketMessage(result.MessageType, buffer.AsMemory(0, count));
                count = 0;
                if (!await CallHandlerAsync(static (h, s, m) => h.OnMessageAsync(s, m), handler, message).ConfigureAwait(false))
                {
                    return;
                }
            }
        }
        catch (Exception ex) when (IsConnectionFailure(ex))
        {
            ended = Describe(ex);
        }
        finally
        {
            ArrayPool<byte>.Shared.Return(buffer);
            StopSending();
            // The WebSocket has ended on its own: Ended fires for producers, without aborting the connection under it.
            _abortOnEnd.Dispose();
            _ended.Cancel();
            await CallHandlerAsync<string?>(static (h, s, r) => h.OnClosedAsync(s, r), handler, CloseReason ?? ended).ConfigureAwait(false);
        }
    }

    /// <summary>The peer sent a close frame: answer it (unless this side closed first) and end.</summary>
    private async Task AnswerCloseAsync()
    {
        if (_socket.State != WebSocketState.CloseReceived)
        {
            return;
        }

        StopSending();
        try
        {
            await _socket.CloseOutputAsync(_socket.CloseStatus ?? WebSocketCloseStatus.NormalClosure, null, CancellationToken.None).ConfigureAwait(false);
        }
        catch (Exception ex) when (IsConnectionFailure(ex))
        {
            // The peer did not wait for the answer; nothing is lost.
        }
    }

    /// <summary>Runs one handler call; a handler that throws ends the WebSocket with 1011 and a log line.</summary>
    private async ValueTask<bool> CallHandlerAsync<T>(Func<IWebSocketMessageHandler, WebSocketSession, T, ValueTask> call, IWebSocketMessageHandler handler, T argument)
    {
        try
        {
            await call(handler, this, argument).ConfigureAwait(false);
            return true;
        }
        catch (Exception ex) when (ex is not OperationCanceledException || !_ended.IsCancellationRequested)
        {
            WebLog.HandlerFailed(Settings.Logger, Peer, ex);
            Close(WebSocketCloseStatus.InternalServerError, $"message handler error: {ex.GetType().Name}");
            return false;
        }
        catch (OperationCanceledException)
        {
            return false;
        }
    }

    /// <summary>Why the receive failed, for the log; a keep-alive timeout and a protocol error are the server's decisions.</summary>
    private string? Describe(Exception ex)
    {
        // A keep-alive timeout aborts the WebSocket from its own timer, which the pending receive sees as the connection
        // aborted by the application (on the epoll loop's pipes, as the receive cancelled; or, a moment later, as an
        // invalid state). Nothing on this side aborted it (that would have set a reason first), and a peer that
        // vanished fails as closed prematurely instead.
        if (CloseReason is null && Settings.KeepAliveTimeout > TimeSpan.Zero && _socket.State == WebSocketState.Aborted &&
            ex is OperationCanceledException or WebSocketException { WebSocketErrorCode: WebSocketError.InvalidState } or TimeoutException)
        {
            SetReason($"no pong within {Settings.KeepAliveTimeout.TotalSeconds:0.###} s of a ping (dead peer)");
            return CloseReason;
        }

        if (ex is WebSocketException { WebSocketErrorCode: WebSocketError.Faulted or WebSocketError.HeaderError or WebSocketError.InvalidMessageType } protocol)
        {
            SetReason($"WebSocket protocol error: {protocol.Message}");
            return CloseReason;
        }

        return CloseReason ?? ex.Message;
    }
}
