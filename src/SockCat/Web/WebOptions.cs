using Microsoft.AspNetCore.Routing;
using SockCat.Endpoints;

namespace SockCat.Web;

/// <summary>
/// The web side of a server: the routes a service maps on its ws://, http://, wss:// and https:// listeners, and the
/// limits every WebSocket there keeps. A public endpoint needs all of them, so each has a safe default; a service
/// changes them here (<see cref="Server.ServerOptions.Web"/>), not in its own code.
/// <code>
/// var options = new ServerOptions();
/// options.Web.MapRoutes = (routes, listener) => routes.MapWebSocketMessages(listener.Path, _ => new EchoMessageHandler());
/// await using var server = new SockCatServer(_ => EchoProtocol.Instance, options);
/// await server.StartAsync([EndpointUrl.Parse("ws://127.0.0.1:8080/")]);
/// </code>
/// </summary>
public sealed class WebOptions
{
    /// <summary>The default <see cref="MaxMessageBytes"/>: 1 MiB, as Python's websockets.</summary>
    public const int DefaultMaxMessageBytes = 1024 * 1024;

    /// <summary>The default <see cref="MaxSendQueueBytes"/>: 1 MiB.</summary>
    public const int DefaultMaxSendQueueBytes = 1024 * 1024;

    /// <summary>
    /// Maps the routes of one web listener (pages, WebSocket endpoints, Server-Sent Events), called once per listener
    /// with its URL as given (its <see cref="EndpointUrl.Path"/> is where the service is expected to answer). Each web
    /// listener is an ASP.NET Core application of its own. Defaults to null: the service has no web side, and a web
    /// listener without routes of its own (<see cref="Server.SockCatServer.ListenWeb"/>) fails to start.
    /// </summary>
    public Action<IEndpointRouteBuilder, EndpointUrl>? MapRoutes { get; set; }

    /// <summary>
    /// The largest WebSocket message taken from a peer, in bytes, over all its fragments; a bigger one closes the
    /// WebSocket with 1009 (message too big) before more than this is buffered. Defaults to 1 MiB.
    /// </summary>
    public int MaxMessageBytes { get; set; } = DefaultMaxMessageBytes;

    /// <summary>
    /// The bound on a WebSocket's unsent messages, in bytes. A sender that waits
    /// (<see cref="WebSocketSession.SendAsync"/>) waits while more than this is queued; a send that may not wait
    /// (<see cref="WebSocketSession.TrySend"/>, a fan-out from other connections) over it cuts the WebSocket as a slow
    /// consumer, with the reason in the log. One message is always taken when nothing is queued, whatever its size.
    /// Defaults to 1 MiB.
    /// </summary>
    public int MaxSendQueueBytes { get; set; } = DefaultMaxSendQueueBytes;

    /// <summary>
    /// Origins (<c>https://example.com</c>, <c>http://localhost:3000</c>) whose pages may open a WebSocket here besides
    /// the listener's own; <c>*</c> allows any. A browser's upgrade from another origin is refused with 403, which is
    /// what stops a page elsewhere from using a visitor's browser against this server (cross-site WebSocket hijacking).
    /// A request with no <c>Origin</c> header (a command-line client, not a browser) is allowed. Defaults to empty:
    /// same origin only.
    /// </summary>
    public IList<string> AllowedOrigins { get; } = new List<string>();

    /// <summary>
    /// How often the server pings an open WebSocket. Defaults to 20 seconds: under the 30 to 60 s after which proxies
    /// and NAT tables commonly drop a silent connection.
    /// </summary>
    public TimeSpan KeepAliveInterval { get; set; } = TimeSpan.FromSeconds(20);

    /// <summary>
    /// A peer that has not answered a ping with a pong in this time is dead: its WebSocket is aborted and its place
    /// freed. Defaults to 20 seconds; <see cref="TimeSpan.Zero"/> turns the check off (pings are still sent).
    /// </summary>
    public TimeSpan KeepAliveTimeout { get; set; } = TimeSpan.FromSeconds(20);

    /// <summary>
    /// How often an idle Server-Sent Events stream gets a comment line, so proxies keep it open and a dead client is
    /// found by the failed write. Defaults to 15 seconds.
    /// </summary>
    public TimeSpan ServerSentEventsKeepAliveInterval { get; set; } = TimeSpan.FromSeconds(15);
}
