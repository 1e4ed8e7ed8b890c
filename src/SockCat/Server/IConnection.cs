using System.Buffers;
using System.Net;

namespace SockCat.Server;

/// <summary>
/// One connection as a protocol sees it: where its output goes, who is on the other end, and the few controls
/// a protocol has. Writing (through <see cref="IBufferWriter{T}"/>) queues output that the transport sends
/// when the protocol's call returns; what the peer does not take at once is the connection's bounded
/// outbound queue. Members may only be used from within the protocol's own calls, except <see cref="Post"/>,
/// which is how other threads (and other connections) reach this one.
/// </summary>
public interface IConnection : IBufferWriter<byte>
{
    /// <summary>A number that identifies the connection for this server's lifetime, for logs and registries.</summary>
    long Id { get; }

    /// <summary>The peer's address; a <see cref="System.Net.Sockets.UnixDomainSocketEndPoint"/> or null for unix sockets.</summary>
    EndPoint? RemoteEndPoint { get; }

    /// <summary>The local address the connection was accepted on.</summary>
    EndPoint? LocalEndPoint { get; }

    /// <summary>Output written but not yet taken by the peer, in bytes.</summary>
    int PendingOutputBytes { get; }

    /// <summary>Writes <paramref name="data"/> to the connection's output.</summary>
    void Write(ReadOnlySpan<byte> data);

    /// <summary>
    /// Half-closes: once queued output is sent, shuts down the send side (the peer reads end of stream) while
    /// input can still arrive. When input has ended too, the connection closes.
    /// </summary>
    void ShutdownSend();

    /// <summary>Closes the connection once queued output is sent, logging <paramref name="reason"/> when given.</summary>
    void Close(string? reason = null);

    /// <summary>Closes at once, dropping queued output: for a peer that broke the protocol or a limit.</summary>
    void Abort(string reason);

    /// <summary>Stops reading from the peer (backpressure) until <see cref="ResumeReading"/>.</summary>
    void PauseReading();

    /// <summary>Starts reading again after <see cref="PauseReading"/>.</summary>
    void ResumeReading();

    /// <summary>
    /// Runs <paramref name="callback"/> with this connection on the connection's own thread, serialized with the
    /// protocol's calls, so that code elsewhere (a chat room's fan-out, a process's output) can write to it without
    /// a lock. Callable from any thread; callbacks run in the order posted. Output written in the callback is sent
    /// when it returns, as from any protocol call.
    /// </summary>
    /// <returns>False when the connection is already closed; the callback will not run.</returns>
    // Added to the foundation's contract: fan-out across epoll loops must go through per-loop queues, never a shared lock
    // (DESIGN.md), and a protocol object is only safe on its own loop's thread.
    bool Post(Action<IConnection, object?> callback, object? state);
}
