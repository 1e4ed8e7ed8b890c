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
    /// <paramref name="messages"/>. At most as many bytes are read as keep the connection within its slow-consumer
    /// limit when written one for one with room to spare for framing; messages that take more than twice the bytes
    /// read (a frame header for every byte, say) may pass it.
    /// </summary>
    void OnData(WebSocketMessageWriter messages, ReadOnlySpan<byte> data);

    /// <summary>
    /// The descriptor is done and closed: <paramref name="error"/> is null at end of file, the read error otherwise, or
    /// <c>connection closed</c> when the WebSocket's connection closed first. Called once; no <see cref="OnData"/> follows.
    /// </summary>
    void OnEnded(WebSocketMessageWriter messages, string? error);
}
