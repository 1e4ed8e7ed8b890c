using SockCat.Web;

namespace SockCat.Services.Echo;

/// <summary>
/// The echo over WebSocket: every message goes back to its sender as it came, text as text and binary as binary,
/// one message for one message. It waits for room to send before the next message is read, so a client that sends
/// without reading is held back, as the byte echo holds back a tcp:// client.
/// </summary>
public sealed class EchoMessageHandler : IWebSocketMessageHandler
{
    /// <summary>The shared instance: the echo keeps no state.</summary>
    public static EchoMessageHandler Instance { get; } = new();

    /// <inheritdoc />
    public async ValueTask OnMessageAsync(WebSocketSession session, WebSocketMessage message) =>
        await session.SendAsync(message.Type, message.Payload).ConfigureAwait(false);
}
