using SockCat.Endpoints;

namespace SockCat.Server;

/// <summary>One connection as <see cref="ConnectionRegistry.GetSnapshot"/> saw it.</summary>
/// <param name="Id">The connection's id (<see cref="IConnection.Id"/>).</param>
/// <param name="Peer">The peer as the log lines print it: <c>127.0.0.1:42203</c>, or for unix sockets <c>pid 1234 on unix:///path</c>.</param>
/// <param name="Listener">The endpoint it was accepted on.</param>
/// <param name="ConnectedAt">When it was accepted.</param>
/// <param name="BytesReceived">Bytes read from the peer so far.</param>
/// <param name="BytesSent">Bytes the peer has taken so far.</param>
public readonly record struct ConnectionInfo(
    long Id, string Peer, EndpointUrl Listener, DateTimeOffset ConnectedAt, long BytesReceived, long BytesSent);
