using System.Net.WebSockets;
using System.Text;

namespace SockCat.Web;

/// <summary>
/// One whole WebSocket message as the peer sent it, its fragments joined: text (UTF-8, already validated) or binary.
/// The payload is lent for the duration of <see cref="IWebSocketMessageHandler.OnMessageAsync"/> only; copy what
/// must outlive the call.
/// </summary>
public readonly struct WebSocketMessage
{
    /// <summary>A message of <paramref name="type"/> with <paramref name="payload"/>.</summary>
    public WebSocketMessage(WebSocketMessageType type, ReadOnlyMemory<byte> payload)
    {
        Type = type;
        Payload = payload;
    }

    /// <summary><see cref="WebSocketMessageType.Text"/> or <see cref="WebSocketMessageType.Binary"/>.</summary>
    public WebSocketMessageType Type { get; }

    /// <summary>The message's bytes: UTF-8 for a text message.</summary>
    public ReadOnlyMemory<byte> Payload { get; }

    /// <summary>True for a text message.</summary>
    public bool IsText => Type == WebSocketMessageType.Text;

    /// <summary>The payload decoded as UTF-8 (a new string each call).</summary>
    public string GetText() => Encoding.UTF8.GetString(Payload.Span);
}
