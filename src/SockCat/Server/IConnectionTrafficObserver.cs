using SockCat.Streams;

namespace SockCat.Server;

/// <summary>
/// Sees every chunk a server's connections receive from their peers and send to them, as the transport moves it (a
/// traffic dump, as <c>ncat --hex-dump</c> on a listener). Set on <see cref="ServerOptions.TrafficObserver"/>; when unset
/// the transports pay one null check per chunk and nothing more. Called on the connection's own thread (its epoll loop,
/// or its Kestrel read loop and call gate), in order for one connection; connections on different threads call at once,
/// so an implementation must be thread-safe. It runs on the server's hot path and should be quick: a slow observer slows
/// its connection's thread. An exception it throws is logged and the connection goes on. The data is lent for the call.
/// A relay's outbound connection is not observed: its client's connection shows both directions.
/// </summary>
public interface IConnectionTrafficObserver
{
    /// <summary>One chunk on <paramref name="connection"/>.</summary>
    /// <param name="connection">The connection the chunk moved on (its <see cref="IConnection.Id"/> and peer name it).</param>
    /// <param name="direction">Sent to the peer, or received from it.</param>
    /// <param name="offset">Bytes that moved in this direction on this connection before this chunk.</param>
    /// <param name="data">The bytes, lent for the call.</param>
    void OnTraffic(IConnection connection, TrafficDirection direction, long offset, ReadOnlySpan<byte> data);
}
