namespace SockCat.Server;

/// <summary>
/// What a protocol does with the bytes of a descriptor it attached to its connection's thread with
/// <see cref="IConnection.AttachDescriptor"/>: a child process's stdout, a pipe, a FIFO. Its calls run on the connection's
/// own thread, serialized with the protocol's calls, so output written to the connection in them is sent when they return,
/// in the same callback, with no hop to another thread.
/// </summary>
public interface IDescriptorHandler
{
    /// <summary>
    /// Bytes were read from the descriptor. <paramref name="data"/> is valid only during the call. At most as many bytes
    /// are read as keep the connection's outbound queue within <see cref="ServerOptions.SlowConsumerLimitBytes"/> when
    /// written to it one for one, so a handler that forwards what it reads is never cut as a slow consumer.
    /// </summary>
    void OnData(IConnection connection, ReadOnlySpan<byte> data);

    /// <summary>
    /// The descriptor is done and closed: <paramref name="error"/> is null at end of file (every writer closed it), the
    /// read error otherwise, or <c>connection closed</c> when the connection closed first. Called once; no
    /// <see cref="OnData"/> follows. Not called after its <see cref="IDisposable.Dispose"/>.
    /// </summary>
    void OnEnded(IConnection connection, string? error);
}
