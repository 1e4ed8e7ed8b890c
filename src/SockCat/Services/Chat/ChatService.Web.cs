using Microsoft.AspNetCore.Routing;
using SockCat.Endpoints;
using SockCat.Web;

namespace SockCat.Services.Chat;

public sealed partial class ChatService
{
    private Web.WebChat? _web;

    /// <summary>
    /// Serves the chat to browsers on a web listener (http://, https://, ws://, wss://): a GET on the listener's path
    /// gets the chat page, and the page's WebSocket on the same path speaks JSON messages (docs/chat.md, "Browser") to
    /// the same hub as the line protocol and IRC. Call it from <see cref="WebOptions.MapRoutes"/>:
    /// <code>
    /// options.Web.MapRoutes = (routes, listener) => chat.MapRoutes(routes, listener);
    /// </code>
    /// </summary>
    /// <param name="routes">The listener's routes.</param>
    /// <param name="listener">The listener, as the hook was given it; its path is where the page answers.</param>
    public void MapRoutes(IEndpointRouteBuilder routes, EndpointUrl listener)
    {
        ArgumentNullException.ThrowIfNull(routes);
        ArgumentNullException.ThrowIfNull(listener);
        var web = LazyInitializer.EnsureInitialized(ref _web, () => new Web.WebChat(this));
        routes.MapWebSocketMessages(listener.Path, _ => new Web.WebChatHandler(web, listener), Web.WebChatPage.ServeAsync);
    }
}
