namespace SockCat.Server;

/// <summary>
/// A descriptor read by a connection's own thread (<see cref="IConnection.AttachDescriptor"/>). It is not read while the
/// connection's outbound queue is over <see cref="ServerOptions.MaxOutputQueueBytes"/>, and is read again once the peer
/// has taken half of it, so a fast writer on the descriptor is held back through it (a pipe's writer blocks) by a slow
/// peer instead of growing the server's memory. Members may only be used on the connection's thread, from within the
/// protocol's calls, a posted callback or the handler's.
/// </summary>
public interface IAttachedDescriptor : IDisposable
{
    /// <summary>Whether the descriptor is still attached: false once it ended, was disposed, or its connection closed.</summary>
    bool IsAttached { get; }

    /// <summary>Stops reading the descriptor (its writer is held back once its buffer is full) until <see cref="Resume"/>.</summary>
    void Pause();

    /// <summary>Reads the descriptor again after <see cref="Pause"/>.</summary>
    void Resume();
}
