namespace SockCat.Server.Hosting;

/// <summary>
/// A Kestrel connection carried by the engine's epoll loop (<see cref="EpollBridgeConnection"/>): the engine connection
/// under it, for a protocol that has taken the byte stream over from HTTP (a WebSocket after its upgrade) and wants to
/// write its own frames on the loop's thread. Null once middleware has put something of its own between Kestrel and
/// the socket (TLS): then bytes written to the engine connection would bypass it.
/// </summary>
internal interface IEpollConnectionFeature
{
    /// <summary>The engine connection, or null when the stream is not the socket's bytes as they are.</summary>
    IConnection? Connection { get; }
}
