using Microsoft.AspNetCore.Builder;
using System.Net.WebSockets;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Http.Features;
using Microsoft.AspNetCore.Routing;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Abstractions;

namespace SockCat.Web;

/// <summary>Maps a WebSocket endpoint that speaks messages (<see cref="IWebSocketMessageHandler"/>) on a web listener.</summary>
public static class WebSocketEndpointRouteBuilderExtensions
{
    /// <summary>
    /// Answers WebSocket upgrades on <paramref name="pattern"/> with a handler per WebSocket. The upgrade is refused with
    /// 403 when the page's origin is not allowed (<see cref="WebOptions.AllowedOrigins"/>); an open WebSocket keeps
    /// the message size, keep-alive and send queue limits of <see cref="WebOptions"/>. On a SockCat server's web
    /// listener the options are the server's and each WebSocket is logged as its connection; in an application of
    /// one's own (which must call <c>UseWebSockets()</c>) the defaults apply.
    /// </summary>
    /// <param name="routes">The listener's routes (the hook's argument, see <see cref="WebOptions.MapRoutes"/>).</param>
    /// <param name="pattern">The route, e.g. <c>/</c> or <c>/chat</c>.</param>
    /// <param name="handlerFactory">Makes the handler for a new WebSocket; a stateless handler may be shared.</param>
    /// <param name="otherRequests">
    /// Answers requests on the same route that are not upgrades (a page that opens the WebSocket, say); null: they get
    /// 426 Upgrade Required.
    /// </param>
    public static IEndpointConventionBuilder MapWebSocketMessages(
        this IEndpointRouteBuilder routes,
        string pattern,
        Func<WebSocketSession, IWebSocketMessageHandler> handlerFactory,
        RequestDelegate? otherRequests = null)
    {
        ArgumentNullException.ThrowIfNull(routes);
        ArgumentNullException.ThrowIfNull(handlerFactory);
        var listener = routes.ServiceProvider.GetService<WebListenerContext>() ?? new WebListenerContext(
            new WebOptions(),
            routes.ServiceProvider.GetService<ILoggerFactory>()?.CreateLogger("SockCat.Web") ?? NullLogger.Instance);
        return routes.Map(pattern, context => AcceptAsync(context, listener, handlerFactory, otherRequests));
    }

    private static async Task AcceptAsync(
        HttpContext context, WebListenerContext listener, Func<WebSocketSession, IWebSocketMessageHandler> handlerFactory, RequestDelegate? otherRequests)
    {
        if (!context.WebSockets.IsWebSocketRequest)
        {
            if (otherRequests is not null)
            {
                await otherRequests(context).ConfigureAwait(false);
                return;
            }

            context.Response.StatusCode = StatusCodes.Status426UpgradeRequired;
            context.Response.Headers.Connection = "close";
            context.Response.Headers.Upgrade = "websocket";
            await context.Response.WriteAsync("This is a WebSocket endpoint: connect with a WebSocket client (ws:// or wss://).\n").ConfigureAwait(false);
            return;
        }

        var connection = listener.Find(context.Connection.Id);
        if (!listener.Settings.Origins.Allows(context.Request, out var origin))
        {
            WebLog.OriginRefused(listener.Logger, connection?.Peer ?? $"{context.Connection.RemoteIpAddress}:{context.Connection.RemotePort}", origin!);
            context.Response.StatusCode = StatusCodes.Status403Forbidden;
            // A refused upgrade ends the connection: a browser that was refused does not send another request on it.
            context.Response.Headers.Connection = "close";
            await context.Response.WriteAsync($"sockcat: a page from {origin} may not open a WebSocket here\n").ConfigureAwait(false);
            return;
        }

        var settings = listener.Settings;
        using var socket = await context.WebSockets.AcceptWebSocketAsync(new WebSocketAcceptContext
        {
            KeepAliveInterval = settings.KeepAliveInterval,
            KeepAliveTimeout = settings.KeepAliveTimeout,
        }).ConfigureAwait(false);
        var session = new WebSocketSession(socket, context, listener, connection);
        listener.Add(session);
        try
        {
            IWebSocketMessageHandler handler;
            try
            {
                handler = handlerFactory(session);
            }
            catch (Exception ex)
            {
                WebLog.HandlerFailed(listener.Logger, session.Peer, ex);
                session.Abort($"message handler error: {ex.GetType().Name}");
                return;
            }

            await session.RunAsync(handler).ConfigureAwait(false);
            if (socket.State is not (WebSocketState.Closed or WebSocketState.CloseReceived) && context.Features.Get<IHttpUpgradeFeature>() is GracefulUpgradeFeature upgrade)
            {
                await upgrade.LingerAsync(settings.CloseTimeout / 5).ConfigureAwait(false);
            }
        }
        finally
        {
            listener.Remove(session);
        }
    }
}
