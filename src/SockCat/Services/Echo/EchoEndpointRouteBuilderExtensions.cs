using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Routing;
using SockCat.Web;

namespace SockCat.Services.Echo;

/// <summary>The echo's web side: a WebSocket echo, and a page at the same address to try it from a browser.</summary>
public static class EchoEndpointRouteBuilderExtensions
{
    /// <summary>
    /// Echoes WebSocket messages on <paramref name="pattern"/> (<see cref="EchoMessageHandler"/>); a plain GET there
    /// gets a small page that opens the WebSocket and shows what comes back.
    /// </summary>
    public static IEndpointConventionBuilder MapWebSocketEcho(this IEndpointRouteBuilder routes, string pattern) =>
        routes.MapWebSocketMessages(pattern, _ => EchoMessageHandler.Instance, static context =>
        {
            if (!HttpMethods.IsGet(context.Request.Method) && !HttpMethods.IsHead(context.Request.Method))
            {
                context.Response.StatusCode = StatusCodes.Status405MethodNotAllowed;
                return Task.CompletedTask;
            }

            context.Response.ContentType = "text/html; charset=utf-8";
            return context.Response.WriteAsync(EchoPage.Html);
        });
}
