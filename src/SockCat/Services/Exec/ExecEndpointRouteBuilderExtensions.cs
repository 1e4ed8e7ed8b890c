using System.Text;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Routing;
using SockCat.Web;

namespace SockCat.Services.Exec;

/// <summary>The exec service's web side: the program over WebSocket, a page to watch it, and Server-Sent Events.</summary>
public static class ExecEndpointRouteBuilderExtensions
{
    /// <summary>
    /// Maps <paramref name="service"/> on a web listener: a WebSocket on <paramref name="pattern"/> (one text message
    /// per line each way, as websocketd, so a page written for websocketd works unchanged), the page that shows the
    /// program's output live at the same address for a plain GET, and Server-Sent Events (<c>event: stdout|stderr|exit</c>)
    /// at <c>events</c> below it. With <see cref="ExecOptions.Token"/> set, the WebSocket and the events need it, as
    /// <c>Authorization: Bearer TOKEN</c> or <c>?token=TOKEN</c>; the page itself holds no secret.
    /// </summary>
    /// <param name="routes">The listener's routes (see <see cref="WebOptions.MapRoutes"/>).</param>
    /// <param name="service">The service whose program is shown.</param>
    /// <param name="pattern">Where the page and the WebSocket answer, e.g. <c>/</c>.</param>
    public static IEndpointRouteBuilder MapExec(this IEndpointRouteBuilder routes, ExecService service, string pattern)
    {
        ArgumentNullException.ThrowIfNull(routes);
        ArgumentNullException.ThrowIfNull(service);
        var path = string.IsNullOrEmpty(pattern) ? "/" : pattern;
        routes.MapWebSocketMessages(
            path,
            session => service.Hub is { } hub ? new ExecWebSocketViewer(service, hub, session) : new ExecWebSocketClient(service, session),
            context =>
            {
                context.Response.ContentType = "text/html; charset=utf-8";
                return context.Response.WriteAsync(ExecPage.Render(service));
            }).Add(endpoint => RequireToken(endpoint, service, pageFree: true));
        routes.Map(path.TrimEnd('/') + "/events", context => ExecEvents.ServeAsync(context, service))
            .Add(endpoint => RequireToken(endpoint, service, pageFree: false));
        return routes;
    }

    /// <summary>Wraps the endpoint so that a request without the token gets 401 before anything runs.</summary>
    private static void RequireToken(EndpointBuilder endpoint, ExecService service, bool pageFree)
    {
        if (!service.RequiresToken || endpoint.RequestDelegate is not { } inner)
        {
            return;
        }

        endpoint.RequestDelegate = context =>
        {
            var isPage = pageFree && !context.WebSockets.IsWebSocketRequest;
            if (isPage || service.TokenMatches(Encoding.UTF8.GetBytes(Presented(context) ?? "\0")))
            {
                return inner(context);
            }

            ExecLog.Refused(service.Logger, $"{context.Connection.RemoteIpAddress}:{context.Connection.RemotePort}", "wrong or missing token");
            context.Response.StatusCode = StatusCodes.Status401Unauthorized;
            context.Response.Headers.WWWAuthenticate = "Bearer";
            return context.Response.WriteAsync("sockcat: this server asks for a token; send 'Authorization: Bearer TOKEN' or add ?token=TOKEN\n");
        };
    }

    private static string? Presented(HttpContext context)
    {
        var authorization = context.Request.Headers.Authorization.ToString();
        if (authorization.StartsWith("Bearer ", StringComparison.OrdinalIgnoreCase))
        {
            return authorization["Bearer ".Length..].Trim();
        }

        return context.Request.Query["token"].FirstOrDefault();
    }
}
