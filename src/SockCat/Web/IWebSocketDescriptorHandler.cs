namespace SockCat.Web;

/// <summary>
/// What a WebSocket does with the bytes of a descriptor it reads on its connection's own thread
/// (<see cref="WebSocketSession.TryAttachDescriptor"/>): a child process's stdout, a pipe, a FIFO. The calls run on that
/// thread, one at a time, and the messages written in them are sent when they return, so a descriptor's bytes reach the
/// peer as WebSocket messages with no other thread between.
/// </summary>
public interface IWebSocketDescriptorHandler
{
    /// <summary>
    /// Bytes were read from the descriptor (valid only during the call): write the messages they make with
    /// <paramref name="messages"/>. A read is at most 64 KiB and is made only while the connection's output is within
    /// <see cref="Server.ServerOptions.MaxOutputQueueBytes"/>, so with the default bounds (256 KiB, and twice that before
    /// a peer is cut as a slow consumer) a read's messages may take up to twice its bytes (a 2-byte frame header for
    /// each 1-byte empty line) and stay within them.
    /// </summary>
    void OnData(WebSocketMessageWriter messages, ReadOnlySpan<byte> data);

    /// <summary>
    /// The descriptor is done and closed: <paramref name="error"/> is null at end of file, the read error otherwise, or
    /// <c>connection closed</c> when the WebSocket's connection closed first. Called once; no <see cref="OnData"/> follows.
    /// </summary>
    void OnEnded(WebSocketMessageWriter messages, string? error);
}
