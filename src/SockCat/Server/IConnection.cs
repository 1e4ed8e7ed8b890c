using System.Buffers;
using System.Net;
using SockCat.Endpoints;
using SockCat.Server.Relay;

namespace SockCat.Server;

/// <summary>
/// One connection as a protocol sees it: where its output goes, who is on the other end, and the few controls
/// a protocol has. Writing (through <see cref="IBufferWriter{T}"/>) queues output that the transport sends
/// when the protocol's call returns; what the peer does not take at once is the connection's bounded
/// outbound queue. Members may only be used from within the protocol's own calls, except
/// <see cref="Post(Action{IConnection, object}, object, Action{object})"/> and <see cref="WriteAsync"/>, which are how
/// other threads (and other connections) reach this one, and the identity properties.
/// </summary>
public interface IConnection : IBufferWriter<byte>
{
    /// <summary>A number that identifies the connection for this server's lifetime, for logs and registries.</summary>
    long Id { get; }

    /// <summary>The peer's address; a <see cref="System.Net.Sockets.UnixDomainSocketEndPoint"/> or null for unix sockets.</summary>
    EndPoint? RemoteEndPoint { get; }

    /// <summary>The local address the connection was accepted on.</summary>
    EndPoint? LocalEndPoint { get; }

    /// <summary>
    /// The listener the connection came in on, as bound (port 0 resolved): one of the server's
    /// <see cref="SockCatServer.BoundEndpoints"/>. A protocol factory shared by several listeners tells them apart by it.
    /// </summary>
    EndpointUrl Listener { get; }

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
    /// when it returns, as from any protocol call, and counts against the slow-consumer rule
    /// (<see cref="ServerOptions.SlowConsumerLimitBytes"/>); a producer that must not be cut waits with
    /// <see cref="WriteAsync"/> instead.
    /// </summary>
    /// <returns>False when the connection is already closed; the callback will not run.</returns>
    /// <remarks>
    /// A callback posted before the connection closed may still never run (the connection closes first): use the
    /// overload with a <c>dropped</c> callback when the state must be handed back.
    /// </remarks>
    // Added to the foundation's contract: fan-out across epoll loops must go through per-loop queues, never a shared lock
    // (DESIGN.md), and a protocol object is only safe on its own loop's thread.
    bool Post(Action<IConnection, object?> callback, object? state);

    /// <summary>
    /// Runs <paramref name="callback"/> as <see cref="Post(Action{IConnection, object}, object)"/> does, and hands
    /// <paramref name="state"/> back to <paramref name="dropped"/> if the callback will not run because the connection is
    /// gone, so that what the state holds (a pooled buffer, a reference count) is never lost. Exactly one of the two runs
    /// for each call: the callback on the connection's thread, or <paramref name="dropped"/> on whichever thread finds the
    /// connection closed (inline, before this returns false, when it already was; the connection's thread when it closes
    /// with the callback still queued). <paramref name="dropped"/> must be quick and must not throw.
    /// </summary>
    /// <returns>False when the connection was already closed (<paramref name="dropped"/> has run); true when posted.</returns>
    /// <remarks>
    /// The default, for connections that never drop a posted callback once accepted (an in-memory test connection),
    /// forwards to <see cref="Post(Action{IConnection, object}, object)"/>; the engine's transports implement it.
    /// </remarks>
    bool Post(Action<IConnection, object?> callback, object? state, Action<object?>? dropped)
    {
        if (Post(callback, state))
        {
            return true;
        }

        dropped?.Invoke(state);
        return false;
    }

    /// <summary>
    /// Writes <paramref name="data"/> to the connection from any thread, with backpressure: for a producer off the
    /// connection's thread (a child process's output, a file being sent, the far side of a relay). The bytes are queued in
    /// order with the protocol's own output; the returned task completes once they are all queued and the connection's
    /// outbound queue is within <see cref="ServerOptions.MaxOutputQueueBytes"/>. While it is over, the task waits,
    /// without holding a thread, until the peer has taken enough, so a fast producer and a slow reader never grow
    /// memory and the producer is never cut as a slow consumer. Several writes may be outstanding; they are queued in the
    /// order called. <paramref name="data"/> must not change until the task completes.
    /// </summary>
    /// <returns>
    /// True when the bytes are queued and the queue is within its bound; false when the connection is closed, or closing
    /// or half-closed (the bytes, or the rest of them, were not queued).
    /// </returns>
    /// <exception cref="OperationCanceledException">
    /// <paramref name="cancellationToken"/> fired first; the bytes may have been queued, in part or whole.
    /// </exception>
    /// <remarks>
    /// The default posts the bytes (<see cref="Post(Action{IConnection, object}, object, Action{object})"/>) and completes
    /// once they are written, without waiting on the queue's bound; the engine's transports implement the wait.
    /// </remarks>
    ValueTask<bool> WriteAsync(ReadOnlyMemory<byte> data, CancellationToken cancellationToken = default)
    {
        cancellationToken.ThrowIfCancellationRequested();
        var written = new TaskCompletionSource<bool>(TaskCreationOptions.RunContinuationsAsynchronously);
        Post(
            static (c, s) =>
            {
                var (data, written) = ((ReadOnlyMemory<byte>, TaskCompletionSource<bool>))s!;
                c.Write(data.Span);
                written.TrySetResult(true);
            },
            (data, written),
            static s => (((ReadOnlyMemory<byte>, TaskCompletionSource<bool>))s!).Item2.TrySetResult(false));
        return new ValueTask<bool>(written.Task.WaitAsync(cancellationToken));
    }

    /// <summary>
    /// Reads <paramref name="descriptor"/> (the read end of a pipe: a child process's stdout, say) on this connection's
    /// own thread: when it is readable its bytes are handed to <paramref name="handler"/>, which writes them to the
    /// connection in the same call, with no thread between the descriptor and the peer. While the connection's outbound
    /// queue is over <see cref="ServerOptions.MaxOutputQueueBytes"/> the descriptor is not read (its writer is held back),
    /// until the peer has taken half of it. The connection takes the descriptor over: it is made nonblocking, and closed
    /// when it ends, when the returned <see cref="IAttachedDescriptor"/> is disposed, or when the connection closes
    /// (whichever comes first; <see cref="IDescriptorHandler.OnEnded"/> says which). The handle keeps the descriptor
    /// open until then, even when its owner disposes it meanwhile. Call it on the connection's thread: from within one
    /// of the protocol's calls or a posted callback.
    /// </summary>
    /// <remarks>
    /// The epoll transport reads the descriptor in its loop. Transports with no loop of their own to read it (Kestrel's)
    /// throw <see cref="NotSupportedException"/>, and so does the default, for connections with no transport: a caller
    /// then reads the descriptor itself (a stream and <see cref="WriteAsync"/>).
    /// </remarks>
    /// <param name="descriptor">A handle to a readable descriptor that epoll can watch (a pipe, a FIFO, a socket; not a regular file).</param>
    /// <param name="handler">What to do with the bytes, and with the end.</param>
    /// <returns>The attached descriptor, to pause, resume or detach it.</returns>
    /// <exception cref="NotSupportedException">The transport cannot read descriptors on the connection's thread.</exception>
    /// <exception cref="InvalidOperationException">The connection is closed.</exception>
    /// <exception cref="IOException">The descriptor cannot be watched (a regular file, a closed descriptor).</exception>
    IAttachedDescriptor AttachDescriptor(System.Runtime.InteropServices.SafeHandle descriptor, IDescriptorHandler handler) =>
        throw new NotSupportedException($"{GetType().Name} cannot read descriptors on its own thread");

    /// <summary>
    /// Writes to <paramref name="descriptor"/> (the write end of a pipe: a child process's stdin, say) on this
    /// connection's own thread, so that the peer's bytes can be passed on from within
    /// <see cref="IConnectionProtocol.OnReceived"/> with no thread between the peer and the descriptor. A write the
    /// descriptor cannot take at once is kept (one read's worth: the connection stops reading its peer until it is
    /// written, when the descriptor has room again), so a reader that does not keep up holds the peer back instead of
    /// growing memory. The connection takes the descriptor over: it is made nonblocking, and closed by
    /// <see cref="IDescriptorWriter.Complete"/> (after what was kept), by disposing the returned writer, when its reader
    /// goes away, or when the connection closes. Call it on the connection's thread.
    /// </summary>
    /// <remarks>
    /// The epoll transport watches the descriptor in its loop. Transports with no loop of their own (Kestrel's) throw
    /// <see cref="NotSupportedException"/>, and so does the default: a caller then writes the descriptor itself.
    /// </remarks>
    /// <param name="descriptor">A handle to a writable descriptor that epoll can watch (a pipe, a FIFO, a socket; not a regular file).</param>
    /// <returns>The writer.</returns>
    /// <exception cref="NotSupportedException">The transport cannot write descriptors on the connection's thread.</exception>
    /// <exception cref="InvalidOperationException">The connection is closed.</exception>
    /// <exception cref="IOException">The descriptor cannot be watched (a regular file, a closed descriptor).</exception>
    IDescriptorWriter AttachWritableDescriptor(System.Runtime.InteropServices.SafeHandle descriptor) =>
        throw new NotSupportedException($"{GetType().Name} cannot write descriptors on its own thread");

    /// <summary>
    /// Lends this connection's socket to a process the caller starts, to write the peer's output into directly (a
    /// child's stdout): its writes go into the socket's send buffer with nothing of this server between, no read, no
    /// copy, no wakeup of a loop; one that writes faster than the peer reads blocks in its own write, as on a full pipe.
    /// The socket is made blocking, as programs expect of their stdout; the connection goes on reading it (without
    /// waiting, call by call), so the peer's bytes still reach <see cref="IConnectionProtocol.OnReceived"/> and its end of
    /// input <see cref="IConnectionProtocol.OnInputEnded"/>. Returned is a duplicate of the socket (close-on-exec: give it
    /// to the process as a file action, a dup2, and dispose it once the process is started). Bytes the connection writes
    /// itself from then on land between the borrower's wherever each write falls: write none while it writes. The
    /// borrower's bytes are seen by no traffic observer and do not keep an idle timeout from closing the connection; the
    /// server's byte totals count them at the close, from a TCP socket's own count of the bytes it sent (not at all on
    /// a unix socket). The peer's output ends as ever: <see cref="ShutdownSend"/> sends the FIN
    /// after every byte the borrower has written, and <see cref="Close"/> (or any other close: the peer gone, the server
    /// stopping) shuts the socket down both ways before closing this server's descriptor, so that the borrower's next
    /// write fails rather than reaching a peer the server let go. Call it on the connection's thread, before any
    /// <see cref="RelayTo"/>.
    /// </summary>
    /// <remarks>
    /// The epoll transport's tcp:// and unix:// connections can lend their socket. A tls:// connection, a WebSocket, and
    /// every connection on Kestrel's transports carry bytes that the server must frame or encrypt, and throw
    /// <see cref="NotSupportedException"/>, as does the default: a caller then reads the process's output from a pipe and
    /// writes it (<see cref="AttachDescriptor"/>).
    /// </remarks>
    /// <returns>A duplicate of the socket, for the borrowing process.</returns>
    /// <exception cref="NotSupportedException">The transport's connections are not plain sockets of their own.</exception>
    /// <exception cref="InvalidOperationException">The connection is closing, half-closed, or relays.</exception>
    /// <exception cref="IOException">The socket cannot be duplicated (no file descriptor left).</exception>
    Microsoft.Win32.SafeHandles.SafeFileHandle LendSocket() =>
        throw new NotSupportedException($"{GetType().Name} cannot lend its socket");

    /// <summary>
    /// Opens a connection to <paramref name="target"/> (tcp://, unix:// or tls://) and pairs it with this one: from then on
    /// the transport itself carries the bytes each way, this connection's input to the target and the target's to this
    /// connection's peer, and the protocol's <see cref="IConnectionProtocol.OnReceived"/> and
    /// <see cref="IConnectionProtocol.OnInputEnded"/> are no longer called. Each direction ends on its own: the end of
    /// one side's input is passed on as a half-close (<c>shutdown(SHUT_WR)</c>) of the other once what it was sent is
    /// flushed, and the pair closes when both directions have ended, or both at once when either fails. Backpressure holds
    /// both ways: while one side's outbound queue is over <see cref="ServerOptions.MaxOutputQueueBytes"/> the other side is
    /// not read, so a slow peer bounds the relay's memory instead of growing it. Until the target answers this connection
    /// is not read; what its protocol left unconsumed is sent to the target first. If the target cannot be reached, the
    /// connection is closed with the reason (<c>cannot reach tcp://…: connection refused by … (ECONNREFUSED)</c>), which the
    /// server logs. Call it from within one of the protocol's calls (<see cref="IConnectionProtocol.OnConnected"/>,
    /// typically), once.
    /// </summary>
    /// <remarks>
    /// On the epoll transport a tcp:// or unix:// target is connected without blocking and driven by the same loop thread
    /// as this connection: each chunk is one <c>recv</c> into the loop's buffer and one <c>send</c> from it, with no thread
    /// hop. A tls:// target (or a <see cref="Client.ConnectOptions.LocalEndPoint"/>), and every target on the Kestrel
    /// transport, goes through <see cref="Client.SocketClient.ConnectAsync"/> and the target's stream, with one hop to the
    /// thread pool per chunk. The default, for connections that have no transport (an in-memory test connection), throws
    /// <see cref="NotSupportedException"/>.
    /// </remarks>
    /// <param name="target">Where to connect: tcp://, unix:// or tls://.</param>
    /// <param name="options">How to connect (time limit, TLS checks) and who hears how it went; null for the defaults.</param>
    /// <exception cref="ArgumentException"><paramref name="target"/> cannot be connected to (udp://, ws://, port 0).</exception>
    /// <exception cref="InvalidOperationException">The connection already relays, or is closing.</exception>
    void RelayTo(EndpointUrl target, RelayOptions? options = null) =>
        throw new NotSupportedException($"{GetType().Name} has no transport to relay with");
}
