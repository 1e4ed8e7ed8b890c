using SockCat.Endpoints;

namespace SockCat.Server;

/// <summary>
/// One listener of a server: the endpoint asked for, the endpoint bound (port 0 resolved), and what its connections
/// speak. Made by <see cref="SockCatServer.Listen"/> (or <see cref="SockCatServer.StartAsync(IEnumerable{EndpointUrl}, CancellationToken)"/>)
/// and handed to the transport that serves the endpoint. A stream listener speaks a sans-IO protocol; a web listener
/// (ws, http, wss, https) serves routes, its own (<see cref="SockCatServer.ListenWeb"/>) or the server's
/// <see cref="Web.WebOptions.MapRoutes"/>.
/// </summary>
internal sealed class ListenerBinding(EndpointUrl url, Func<IConnection, IConnectionProtocol> protocolFactory, Action<Microsoft.AspNetCore.Routing.IEndpointRouteBuilder>? mapRoutes = null)
{
    /// <summary>The endpoint as asked for.</summary>
    public EndpointUrl Url { get; } = url;

    /// <summary>The endpoint as bound: <see cref="Url"/> with the chosen port where port 0 was asked for; set by the transport.</summary>
    public EndpointUrl BoundUrl { get; set; } = url;

    /// <summary>The routes of a web listener added with <see cref="SockCatServer.ListenWeb"/>; null: the server's <see cref="Web.WebOptions.MapRoutes"/>.</summary>
    public Action<Microsoft.AspNetCore.Routing.IEndpointRouteBuilder>? MapRoutes { get; } = mapRoutes;

    public IConnectionProtocol CreateProtocol(IConnection connection) => protocolFactory(connection);
}
