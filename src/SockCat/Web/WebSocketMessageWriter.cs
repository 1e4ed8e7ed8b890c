using System.Net.WebSockets;
using System.Text;
using SockCat.Server;

namespace SockCat.Web;

/// <summary>
/// Writes whole WebSocket messages on the connection's own thread, each one frame, straight into the connection's output
/// (<see cref="IWebSocketDescriptorHandler"/>'s calls hand it out; use it only within them). Messages go out in the order
/// written, before anything the <see cref="WebSocketSession"/> sends after the call returns (its close frame, say). Once
/// the WebSocket is closing or ended, writes are refused.
/// </summary>
public sealed class WebSocketMessageWriter
{
    private readonly WebSocketSession _session;
    private IConnection? _connection;

    internal WebSocketMessageWriter(WebSocketSession session) => _session = session;

    /// <summary>The WebSocket the messages are for.</summary>
    public WebSocketSession Session => _session;

    /// <summary>Bytes written to the connection and not yet taken by the peer (frames included).</summary>
    public int PendingOutputBytes => _connection?.PendingOutputBytes ?? 0;

    internal IConnection? Connection
    {
        get => _connection;
        set => _connection = value;
    }

    /// <summary>Writes <paramref name="text"/> as one text message (UTF-8).</summary>
    /// <returns>False when the WebSocket is closing or ended: nothing was written.</returns>
    public bool WriteText(string text)
    {
        ArgumentNullException.ThrowIfNull(text);
        if (!CanWrite(out var connection))
        {
            return false;
        }

        var length = Encoding.UTF8.GetByteCount(text);
        var span = connection.GetSpan(WebSocketFrames.MaxHeaderLength + length);
        var header = WebSocketFrames.WriteHeader(span, WebSocketMessageType.Text, length);
        Encoding.UTF8.GetBytes(text, span[header..]);
        connection.Advance(header + length);
        _session.CountSent(length);
        return true;
    }

    /// <summary>Writes <paramref name="utf8"/> (which must be valid UTF-8) as one text message.</summary>
    /// <returns>False when the WebSocket is closing or ended: nothing was written.</returns>
    public bool WriteText(ReadOnlySpan<byte> utf8) => Write(WebSocketMessageType.Text, utf8);

    /// <summary>Writes <paramref name="payload"/> as one binary message.</summary>
    /// <returns>False when the WebSocket is closing or ended: nothing was written.</returns>
    public bool WriteBinary(ReadOnlySpan<byte> payload) => Write(WebSocketMessageType.Binary, payload);

    private bool Write(WebSocketMessageType type, ReadOnlySpan<byte> payload)
    {
        if (!CanWrite(out var connection))
        {
            return false;
        }

        Span<byte> header = stackalloc byte[WebSocketFrames.MaxHeaderLength];
        connection.Write(header[..WebSocketFrames.WriteHeader(header, type, payload.Length)]);
        connection.Write(payload);
        _session.CountSent(payload.Length);
        return true;
    }

    // Read on the loop thread: a close frame the session sends reaches the connection on this thread too, after the
    // call that saw it open has returned, so nothing written here can follow it.
    private bool CanWrite(out IConnection connection)
    {
        connection = _connection!;
        return _connection is not null && !_session.IsSendClosed;
    }
}
