namespace SockCat.Web;

/// <summary>
/// What an event stream does with the bytes of a descriptor it reads on its connection's own thread
/// (<see cref="ServerSentEventsWriter.TryAttachDescriptor"/>): a child process's stdout, a pipe, a FIFO. The calls run on
/// that thread, one at a time; the events written in a call are flushed to the response when it returns.
/// </summary>
public interface IServerSentEventsDescriptorHandler
{
    /// <summary>Bytes were read from the descriptor (valid only during the call): write the events they make.</summary>
    void OnData(ServerSentEventsBatch events, ReadOnlySpan<byte> data);

    /// <summary>
    /// The descriptor is done and closed, and every event written for it flushed: <paramref name="error"/> is null at end
    /// of file, the read error otherwise, or <c>connection closed</c>. Called once, with no events to write.
    /// </summary>
    void OnEnded(string? error);
}
