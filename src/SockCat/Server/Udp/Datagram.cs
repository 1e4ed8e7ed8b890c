using System.Net;
using System.Net.Sockets;

namespace SockCat.Server.Udp;

/// <summary>One datagram as an <see cref="IDatagramProtocol"/> sees it: its payload, its sender, and the way back.</summary>
/// <remarks>
/// A ref struct so that the payload (the loop's reused buffer) and the sender's raw address cannot be kept past the
/// call, and so that handing it over allocates nothing.
/// </remarks>
public readonly ref struct Datagram
{
    private readonly DatagramServer _server;
    private readonly SocketAddress _from;

    internal Datagram(DatagramServer server, ReadOnlySpan<byte> payload, SocketAddress from, IPEndPoint peer)
    {
        _server = server;
        _from = from;
        Payload = payload;
        Peer = peer;
    }

    /// <summary>The bytes received, lent for the call.</summary>
    public ReadOnlySpan<byte> Payload { get; }

    /// <summary>The sender, IPv4-mapped addresses shown as IPv4 (the same object for every datagram of a remembered peer).</summary>
    public IPEndPoint Peer { get; }

    /// <summary>
    /// Sends <paramref name="payload"/> to the sender from the listening socket, at once. Returns false when it could
    /// not be sent (the failure is logged at debug level and counted in <see cref="DatagramServer.DatagramsDropped"/>).
    /// </summary>
    public bool Reply(ReadOnlySpan<byte> payload) => _server.SendTo(payload, _from, Peer);
}
