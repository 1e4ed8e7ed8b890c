using System.Net.WebSockets;
using System.Text.Json;
using SockCat.Endpoints;
using SockCat.Web;

namespace SockCat.Services.Chat.Web;

/// <summary>
/// One WebSocket of the chat page: JSON requests in, until a <c>hello</c> makes (or resumes) a
/// <see cref="WebChatClient"/>, which then answers them on its connection. A message that is not a JSON object with a
/// <c>type</c> gets one error message and the WebSocket stays open.
/// </summary>
internal sealed class WebChatHandler(WebChat web, EndpointUrl listener) : IWebSocketMessageHandler
{
    private static readonly JsonDocumentOptions Parsing = new() { MaxDepth = 8 };

    private WebChatClient? _client;

    public ValueTask OnOpenedAsync(WebSocketSession session)
    {
        session.TrySend(WebSocketMessageType.Text, WebChatJson.ToArray(o => WebChatJson.Welcome(o, web.Service)));
        session.TrySend(WebSocketMessageType.Text, WebChatJson.ToArray(o => WebChatJson.Rooms(o, web.Hub, null)));
        return ValueTask.CompletedTask;
    }

    public async ValueTask OnMessageAsync(WebSocketSession session, WebSocketMessage message)
    {
        if (!message.IsText)
        {
            Refuse(session, null, "badRequest", "send JSON objects as text messages, not binary ones");
            return;
        }

        JsonDocument document;
        try
        {
            document = JsonDocument.Parse(message.Payload, Parsing);
        }
        catch (JsonException ex)
        {
            Refuse(session, null, "badJson", $"not JSON: {ex.Message}");
            return;
        }

        using (document)
        {
            var request = document.RootElement;
            if (request.ValueKind != JsonValueKind.Object || WebChatClient.Text(request, "type") is not { } type)
            {
                Refuse(session, null, "badRequest", "each message is a JSON object with a \"type\"; see docs/chat.md, Browser");
                return;
            }

            if (_client is { } client)
            {
                client.Connection.Run(static (_, state) =>
                {
                    var (client, type, request) = ((WebChatClient, string, JsonElement))state!;
                    client.Handle(type, request);
                }, (client, type, request));
            }
            else if (type == "rooms")
            {
                session.TrySend(WebSocketMessageType.Text, WebChatJson.ToArray(o => WebChatJson.Rooms(o, web.Hub, null)));
            }
            else if (type == "hello")
            {
                Hello(session, request);
            }
            else
            {
                Refuse(session, type, "notRegistered", "choose a nick first: {\"type\":\"hello\",\"nick\":\"alice\"}");
            }
        }

        if (_client is { } reading)
        {
            await reading.Connection.ReadingResumed.ConfigureAwait(false);
        }
    }

    private void Hello(WebSocketSession session, JsonElement request)
    {
        if (web.Find(WebChatClient.Text(request, "resume")) is { } resumed)
        {
            long? received = request.TryGetProperty("received", out var count) && count.TryGetInt64(out var n) ? n : null;
            var back = false;
            resumed.Connection.Run((_, _) => back = resumed.Resume(session, received), null);
            if (back)
            {
                _client = resumed;
                return;
            }
        }

        var nick = WebChatClient.Text(request, "nick") ?? "";
        var options = web.Hub.Options;
        // Checked before a connection is made for the user, so a refused nick leaves nothing behind.
        if (!ChatNames.IsValidNick(nick, options.MaxNickLength))
        {
            Refuse(session, "hello", "nickInvalid", $"'{nick}' cannot be a nickname: 1 to {options.MaxNickLength} letters, digits or -_[]{{}}\\|^`, not starting with a digit or -");
            return;
        }

        if (web.Hub.FindUser(nick) is not null)
        {
            Refuse(session, "hello", "nickInUse", $"the nickname {nick} is taken");
            return;
        }

        var client = new WebChatClient(web, session, listener);
        var result = ChatResult.Ok;
        client.Connection.Run((_, _) => result = client.Register(nick, session), null);
        if (result == ChatResult.Ok)
        {
            _client = client;
        }
        else
        {
            Refuse(session, "hello", "nickInUse", $"the nickname {nick} is taken");
        }
    }

    // Once registered, through the user's connection: its messages are numbered, and the page counts every one.
    private void Refuse(WebSocketSession session, string? request, string code, string text)
    {
        if (_client is { } client)
        {
            client.Connection.Run((c, _) => WebChatJson.Error(c, request, code, text), null);
        }
        else
        {
            session.TrySend(WebSocketMessageType.Text, WebChatJson.ToArray(o => WebChatJson.Error(o, request, code, text)));
        }
    }
}
