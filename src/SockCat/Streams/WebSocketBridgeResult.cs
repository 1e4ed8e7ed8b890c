using System.Net.WebSockets;

namespace SockCat.Streams;

/// <summary>How a <see cref="WebSocketBridge"/> ended, what it moved, and how the WebSocket was closed.</summary>
/// <param name="Bridge">The outcome and byte counts (payload bytes), as a <see cref="StreamBridge"/> reports them.</param>
/// <param name="MessagesSent">Messages sent.</param>
/// <param name="MessagesReceived">Messages received.</param>
/// <param name="CloseStatus">The status the server closed with; null when it did not close (a reset, a timeout, a cancellation).</param>
/// <param name="CloseDescription">The reason the server gave with its close, if any.</param>
public sealed record WebSocketBridgeResult(
    StreamBridgeResult Bridge,
    long MessagesSent,
    long MessagesReceived,
    WebSocketCloseStatus? CloseStatus,
    string? CloseDescription);
