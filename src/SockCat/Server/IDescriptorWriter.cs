namespace SockCat.Server;

/// <summary>
/// A descriptor written by a connection's own thread (<see cref="IConnection.AttachWritableDescriptor"/>): a child
/// process's stdin, say. What it does not take at once is kept and written when it has room, and meanwhile the
/// connection's peer is not read, so a reader that does not keep up holds the peer back (through TCP's window) instead
/// of growing the server's memory. Members may only be used on the connection's thread, from within the protocol's
/// calls, a posted callback or a descriptor handler's.
/// </summary>
public interface IDescriptorWriter : IDisposable
{
    /// <summary>
    /// Whether the descriptor is still attached: false once <see cref="Complete"/> has closed it, it was disposed, its
    /// reader went away, or its connection closed.
    /// </summary>
    bool IsAttached { get; }

    /// <summary>
    /// Writes <paramref name="data"/> without blocking: what the descriptor does not take now is copied, written as it
    /// makes room, and the connection is not read until it all is.
    /// </summary>
    /// <returns>False when the descriptor is no longer attached (its reader went away: the bytes, and any kept, are dropped).</returns>
    bool Write(ReadOnlySpan<byte> data);

    /// <summary>Closes the descriptor once what was kept is written (its reader sees end of file then).</summary>
    void Complete();
}
