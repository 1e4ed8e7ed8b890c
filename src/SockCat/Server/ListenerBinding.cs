using SockCat.Endpoints;

namespace SockCat.Server;

/// <summary>
/// One listener of a server: the endpoint asked for, the endpoint bound (port 0 resolved), and what its connections
/// speak. Made by <see cref="SockCatServer.Listen"/> (or <see cref="SockCatServer.StartAsync(IEnumerable{EndpointUrl}, CancellationToken)"/>)
/// and handed to the transport that serves the endpoint. Today a listener speaks a sans-IO protocol; a web application
/// (routes for pages, WebSocket, Server-Sent Events on Kestrel) is the other kind of binding it is shaped to carry.
/// </summary>
internal sealed class ListenerBinding(EndpointUrl url, Func<IConnection, IConnectionProtocol> protocolFactory)
{
    /// <summary>The endpoint as asked for.</summary>
    public EndpointUrl Url { get; } = url;

    /// <summary>The endpoint as bound: <see cref="Url"/> with the chosen port where port 0 was asked for; set by the transport.</summary>
    public EndpointUrl BoundUrl { get; set; } = url;

    public IConnectionProtocol CreateProtocol(IConnection connection) => protocolFactory(connection);
}
