using System.Runtime.InteropServices;
using SockCat.Server;
using SockCat.Server.Hosting;

namespace SockCat.Web;

/// <summary>
/// A descriptor read on the WebSocket's connection thread: where the listener runs on the engine's epoll loop, the
/// descriptor is attached to the connection under Kestrel's (<see cref="IConnection.AttachDescriptor"/>), and each read
/// becomes messages written as frames into that connection's output in the same callback: no thread between the
/// descriptor and the peer. Elsewhere (Kestrel's socket transport, TLS) the caller reads the descriptor itself.
/// </summary>
public sealed partial class WebSocketSession
{
    /// <summary>
    /// Reads <paramref name="descriptor"/> on the WebSocket's connection thread and hands its bytes to
    /// <paramref name="handler"/>, which writes them as messages (<see cref="WebSocketMessageWriter"/>) in the same
    /// callback. The descriptor is not read while the connection's output is over its bound, so a writer faster than the
    /// peer is held back through it (a pipe's writer blocks). It is closed when it ends or the connection closes
    /// (<see cref="IWebSocketDescriptorHandler.OnEnded"/>); the handle keeps it open until then. While attached, send the
    /// WebSocket's data messages through the handler only: what <see cref="SendAsync"/> sends meanwhile is not ordered
    /// with them. Its close frame (<see cref="Close"/>) and pings are: a close sent after a handler's call has returned
    /// follows that call's messages, and writes after it are refused.
    /// </summary>
    /// <param name="descriptor">A readable descriptor epoll can watch (a pipe, a FIFO, a socket; not a regular file).</param>
    /// <param name="handler">Turns the bytes into messages, and hears of the end.</param>
    /// <returns>
    /// True when the descriptor will be read on the connection's thread (attached, or ended at once with the reason
    /// when it cannot be watched or the connection has closed); false when the WebSocket's transport has no such thread
    /// (Kestrel's sockets, TLS in between): the descriptor is untouched, for the caller to read.
    /// </returns>
    public bool TryAttachDescriptor(SafeHandle descriptor, IWebSocketDescriptorHandler handler)
    {
        ArgumentNullException.ThrowIfNull(descriptor);
        ArgumentNullException.ThrowIfNull(handler);
        if (HttpContext.Features.Get<IEpollConnectionFeature>()?.Connection is not { } connection || HttpContext.Request.Protocol != "HTTP/1.1")
        {
            return false;
        }

        var source = new DescriptorSource(this, descriptor, handler);
        connection.Post(static (c, s) => ((DescriptorSource)s!).Attach(c), source, static s => ((DescriptorSource)s!).Dropped());
        return true;
    }

    /// <summary>True once the WebSocket takes no more messages: closing, closed, or ended.</summary>
    /// <remarks>
    /// Read per message on the loop thread, so without the send lock: the flag only ever goes from false to true (set
    /// under the lock), and the close frame that follows its setting reaches the connection on this same thread.
    /// </remarks>
    internal bool IsSendClosed => Volatile.Read(ref _closing);

    internal void CountSent(int payloadLength)
    {
        if (_connection is not null)
        {
            Interlocked.Add(ref _connection.BytesSent, payloadLength);
        }
    }

    /// <summary>The engine's descriptor handler for one attached descriptor, passing its calls on with the writer.</summary>
    private sealed class DescriptorSource(WebSocketSession session, SafeHandle descriptor, IWebSocketDescriptorHandler handler) : IDescriptorHandler
    {
        private readonly WebSocketMessageWriter _writer = new(session);

        // Posted: on the connection's thread.
        public void Attach(IConnection connection)
        {
            _writer.Connection = connection;
            try
            {
                connection.AttachDescriptor(descriptor, this);
            }
            catch (Exception e) when (e is IOException or InvalidOperationException or NotSupportedException)
            {
                handler.OnEnded(_writer, e.Message);
            }
        }

        // The connection closed before the post ran.
        public void Dropped() => handler.OnEnded(_writer, "connection closed");

        public void OnData(IConnection connection, ReadOnlySpan<byte> data) => handler.OnData(_writer, data);

        public void OnEnded(IConnection connection, string? error) => handler.OnEnded(_writer, error);
    }
}
