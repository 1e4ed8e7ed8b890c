namespace SockCat.Web;

/// <summary>
/// What a service does with one WebSocket, message by message: boundaries kept, text or binary, no byte stream. One
/// handler per WebSocket (see <see cref="WebSocketEndpointRouteBuilderExtensions.MapWebSocketMessages"/>); its calls
/// never overlap, and the next message is not read until <see cref="OnMessageAsync"/> has completed, so a handler that
/// waits (for room to send, say) holds the peer back. The platform has already applied the message size, UTF-8,
/// origin and keep-alive rules (<see cref="WebOptions"/>).
/// </summary>
public interface IWebSocketMessageHandler
{
    /// <summary>The WebSocket is open; nothing has been read yet.</summary>
    ValueTask OnOpenedAsync(WebSocketSession session) => ValueTask.CompletedTask;

    /// <summary>A whole message arrived. Its payload is only valid until the returned task completes.</summary>
    ValueTask OnMessageAsync(WebSocketSession session, WebSocketMessage message);

    /// <summary>
    /// The WebSocket has ended. <paramref name="reason"/> is null when the peer closed it normally; otherwise why it
    /// ended (a limit, a slow consumer, a dead peer, the server stopping), as the log line says.
    /// </summary>
    ValueTask OnClosedAsync(WebSocketSession session, string? reason) => ValueTask.CompletedTask;
}
