namespace SockCat.Server;

/// <summary>
/// The sans-IO contract between a connection's transport and what it speaks. A protocol is handed the bytes
/// received and writes its answer into the connection (an <see cref="System.Buffers.IBufferWriter{T}"/>);
/// it owns no socket and never awaits, so the engine's epoll loop can drive it synchronously on the loop
/// thread, and Kestrel can host the same object over pipes (TLS, WebSocket). Calls for one connection never
/// overlap. Create one per connection when it keeps state; a stateless protocol may be shared.
/// </summary>
public interface IConnectionProtocol
{
    /// <summary>The connection is established; a greeting may be written to it.</summary>
    void OnConnected(IConnection connection)
    {
    }

    /// <summary>
    /// Bytes arrived. Returns how many of <paramref name="data"/> were consumed: the rest (an incomplete frame)
    /// is kept by the transport and presented again, followed by what arrives next. Keeping bytes costs a
    /// buffer for the connection, so a protocol consumes what it can and bounds what it leaves.
    /// </summary>
    int OnReceived(IConnection connection, ReadOnlySpan<byte> data);

    /// <summary>
    /// The peer sent FIN: no more input will come; output can still flow. <paramref name="unconsumed"/> holds
    /// what <see cref="OnReceived"/> left (a last line without its newline). By default the connection half-closes
    /// its send side once its output is sent, which closes it.
    /// </summary>
    void OnInputEnded(IConnection connection, ReadOnlySpan<byte> unconsumed) => connection.ShutdownSend();

    /// <summary>All queued output has been sent after a period in which the peer was not reading.</summary>
    void OnWritable(IConnection connection)
    {
    }

    /// <summary>
    /// The connection was cut by the slow-consumer rule (<see cref="ServerOptions.SlowConsumerLimitBytes"/>): output was
    /// written for its peer faster than the peer read it, past the limit. Called once, on the connection's thread, just
    /// before <see cref="OnClosed"/>; the connection is already closed (what is written now goes nowhere). A service
    /// counts or reports it here (a chat room tells the others the member was cut).
    /// </summary>
    /// <param name="connection">The connection, closed.</param>
    /// <param name="limitBytes">The limit its outbound queue would have passed.</param>
    void OnSlowConsumer(IConnection connection, int limitBytes)
    {
    }

    /// <summary>The connection is gone, with the reason it was closed (null for a plain close by either side).</summary>
    void OnClosed(IConnection connection, string? reason)
    {
    }
}
