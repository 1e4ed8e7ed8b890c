using System.Net.WebSockets;
using System.Text;
using System.Text.Json;
using SockCat.Endpoints;
using SockCat.Web;

namespace SockCat.Services.Chat.Web;

/// <summary>
/// One browser user of the hub: its <see cref="WebSocketConnection"/> (which outlives a dropped WebSocket for the resume
/// window, holding what is said meanwhile) and the requests of docs/chat.md's "Browser" section, each answered in
/// JSON. Every method runs on the connection's serialized calls, as the hub requires of a user's operations.
/// </summary>
internal sealed class WebChatClient : IChatClient
{
    private readonly WebChat _web;

    public WebChatClient(WebChat web, WebSocketSession session, EndpointUrl listener)
    {
        _web = web;
        Token = WebChat.NewToken();
        Connection = new WebSocketConnection(session, listener, web.Service.Options.WebResumeWindow, (_, reason) => OnClosed(reason));
    }

    public string Token { get; }

    public WebSocketConnection Connection { get; }

    public ChatUser? User { get; private set; }

    private ChatHub Hub => _web.Hub;

    public void OnChatEvent(ChatUser self, ChatEvent e)
    {
        Connection.Write(e.Render(WebChatRenderer.Instance));
        Connection.FlushMessage();
    }

    /// <summary>Takes <paramref name="nick"/> on the hub and says so on <paramref name="session"/>; a refusal is the caller's to word.</summary>
    public ChatResult Register(string nick, WebSocketSession session)
    {
        var result = Hub.Register(Connection, this, nick, out var user);
        if (result == ChatResult.Ok)
        {
            User = user;
            _web.Add(this);
            SendRegistered(session, resumed: false, Connection.NextMessageIndex, gap: false);
        }

        return result;
    }

    /// <summary>
    /// The page is back on <paramref name="session"/> having had <paramref name="received"/> messages: it is told so
    /// (straight on the session, unnumbered, before any numbered message), then gets what it missed, if still kept.
    /// False when the user was let go meanwhile.
    /// </summary>
    public bool Resume(WebSocketSession session, long? received)
    {
        var replay = received is { } count && Connection.CanReplayFrom(count);
        var next = replay ? received!.Value : Connection.NextMessageIndex;
        if (Connection.IsClosed || User is not { IsRegistered: true })
        {
            return false;
        }

        SendRegistered(session, resumed: true, next, gap: !replay, attach: true);
        return true;
    }

    /// <summary>Who the page is, with the token to come back with and its message count, then each of its rooms and the room list.</summary>
    private void SendRegistered(WebSocketSession session, bool resumed, long next, bool gap, bool attach = false)
    {
        var user = User!;
        session.TrySend(WebSocketMessageType.Text, WebChatJson.ToArray(o => WebChatJson.Registered(o, user, Token, resumed, next, gap)));
        if (attach && !Connection.Attach(session, next))
        {
            // Let go between the check and now (its resume window passed): the page comes back and registers afresh.
            session.Close(WebSocketCloseStatus.NormalClosure, "resume window passed; reconnect");
            return;
        }

        foreach (var room in user.Rooms)
        {
            WebChatJson.Names(Connection, room);
            Connection.FlushMessage();
        }

        WebChatJson.Rooms(Connection, Hub, user);
    }

    public void Handle(string type, JsonElement request)
    {
        if (User is not { IsRegistered: true } user)
        {
            return;
        }

        switch (type)
        {
            case "join":
                Join(user, request);
                break;
            case "part":
                Answer(type, Hub.Part(user, RoomOf(request), Text(request, "reason") ?? ""), RoomOf(request), null);
                break;
            case "say":
                Say(user, request);
                break;
            case "pm":
                Private(user, request);
                break;
            case "topic":
                Answer(type, Hub.SetTopic(user, RoomOf(request), Text(request, "topic") ?? ""), RoomOf(request), null);
                break;
            case "invite":
                Invite(user, request);
                break;
            case "kick":
                Answer(type, Hub.Kick(user, RoomOf(request), Text(request, "nick") ?? "", Text(request, "reason") ?? ""), RoomOf(request), Text(request, "nick"));
                break;
            case "mode":
                Mode(user, request);
                break;
            case "nick":
                Answer(type, Hub.ChangeNick(user, Text(request, "nick") ?? ""), null, Text(request, "nick"));
                break;
            case "names":
                if (Hub.FindRoom(RoomOf(request)) is { } room && room.HasMember(user))
                {
                    WebChatJson.Names(Connection, room);
                }
                else
                {
                    Answer(type, ChatResult.NotInRoom, RoomOf(request), null);
                }

                break;
            case "rooms":
                WebChatJson.Rooms(Connection, Hub, user);
                break;
            case "quit":
                Hub.Quit(user, Text(request, "reason") is { Length: > 0 } reason ? reason : "left");
                Connection.Close("quit");
                break;
            case "hello":
                WebChatJson.Error(Connection, type, "alreadyRegistered", $"you are {user.Nick} already; change nick with {{\"type\":\"nick\",\"nick\":\"...\"}}");
                break;
            default:
                WebChatJson.Error(Connection, type, "unknownType", $"unknown type '{type}'; see docs/chat.md, Browser");
                break;
        }
    }

    private void Join(ChatUser user, JsonElement request)
    {
        var name = RoomOf(request);
        var result = Hub.Join(user, name, Text(request, "key") is { Length: > 0 } key ? key : null, out var room);
        if (result is ChatResult.Ok or ChatResult.AlreadyInRoom)
        {
            WebChatJson.Names(Connection, room!);
            return;
        }

        Answer("join", result, name, null);
    }

    private void Say(ChatUser user, JsonElement request)
    {
        var room = RoomOf(request);
        var text = Text(request, "text") ?? "";
        var kind = KindOf(request);
        if (!FitsLine(text))
        {
            return;
        }

        var result = Hub.SendToRoom(user, room, kind, text);
        if (result == ChatResult.Ok)
        {
            WebChatJson.Own(Connection, Hub.FindRoom(room)?.Name ?? room, user.Nick, null, kind, text);
            return;
        }

        Answer("say", result, room, null);
    }

    private void Private(ChatUser user, JsonElement request)
    {
        var to = Text(request, "to") ?? "";
        var text = Text(request, "text") ?? "";
        var kind = KindOf(request);
        if (!FitsLine(text))
        {
            return;
        }

        var result = Hub.SendToUser(user, to, kind, text, out var target);
        if (result == ChatResult.Ok)
        {
            // A message to oneself was delivered inline already.
            if (!ReferenceEquals(target, user))
            {
                WebChatJson.Own(Connection, null, user.Nick, target!.Nick, kind, text);
            }

            return;
        }

        Answer("pm", result, null, to);
    }

    private void Invite(ChatUser user, JsonElement request)
    {
        var nick = Text(request, "nick") ?? "";
        var room = RoomOf(request);
        var result = Hub.Invite(user, nick, room);
        if (result == ChatResult.Ok)
        {
            WebChatJson.Invited(Connection, Hub.FindUser(nick)?.Nick ?? nick, Hub.FindRoom(room)?.Name ?? room);
            return;
        }

        Answer("invite", result, room, nick);
    }

    private void Mode(ChatUser user, JsonElement request)
    {
        var mode = Text(request, "mode") ?? "";
        var room = RoomOf(request);
        if (mode.Length != 2 || mode[0] is not ('+' or '-'))
        {
            WebChatJson.Error(Connection, "mode", "badMode", "mode is a sign and a letter: +k (with arg), -k, +i, -i, +t, -t, +n, -n, +o or -o (with arg)");
            return;
        }

        Answer("mode", Hub.SetMode(user, room, mode[1], mode[0] == '+', Text(request, "arg")), room, mode);
    }

    /// <summary>Nothing for Ok (the events said it); otherwise one error message, and a flood past its warning ends the user.</summary>
    private void Answer(string request, ChatResult result, string? room, string? nick)
    {
        switch (result)
        {
            case ChatResult.Ok:
                return;
            case ChatResult.FloodDisconnect:
                WebChatJson.Error(Connection, request, "excessFlood", "disconnected for sending too fast");
                Connection.FlushMessage();
                Hub.QuitFlooding(User!);
                Connection.Close("Excess Flood");
                return;
        }

        var code = char.ToLowerInvariant(result.ToString()[0]) + result.ToString()[1..];
        WebChatJson.Error(Connection, request, code, Describe(result, room, nick));
    }

    private string Describe(ChatResult result, string? room, string? nick) => result switch
    {
        ChatResult.NickInvalid => $"'{nick}' cannot be a nickname: 1 to {Hub.Options.MaxNickLength} letters, digits or -_[]{{}}\\|^`, not starting with a digit or -",
        ChatResult.NickInUse => $"the nickname {nick} is taken",
        ChatResult.NoSuchNick => $"no one is called {nick}",
        ChatResult.RoomInvalid => $"'{room}' cannot be a room name: up to {Hub.Options.MaxRoomNameLength - 1} characters after the #, without spaces, commas or colons",
        ChatResult.NoSuchRoom => $"there is no room {room}",
        ChatResult.BadKey => $"{room} needs its key",
        ChatResult.InviteOnly => $"{room} is invite-only; ask one of its operators for an invitation",
        ChatResult.RoomFull => $"{room} is full",
        ChatResult.TooManyRooms => $"you are in {Hub.Options.MaxRoomsPerUser} rooms already",
        ChatResult.NotInRoom => $"you are not in {room}",
        ChatResult.TargetNotInRoom => $"{nick} is not in {room}",
        ChatResult.TargetInRoom => $"{nick} is in {room} already",
        ChatResult.NotOperator => $"only operators of {room} can do that",
        ChatResult.CannotSendToRoom => $"{room} takes messages from its members only",
        ChatResult.NoText => "nothing to send",
        ChatResult.UnknownMode => $"unknown mode {nick}",
        ChatResult.MissingArgument => $"{nick} needs an arg: a key (one word) for +k, a nick for +o and -o",
        ChatResult.Flooding => "message dropped: you are sending too fast",
        _ => result.ToString(),
    };

    private bool FitsLine(string text)
    {
        var max = _web.Service.Options.MaxLineLength;
        if (Encoding.UTF8.GetByteCount(text) <= max)
        {
            return true;
        }

        WebChatJson.Error(Connection, "say", "tooLong", $"text longer than {max} bytes not sent; send shorter messages");
        return false;
    }

    private void OnClosed(string? reason)
    {
        _web.Remove(this);
        if (User is not { } user)
        {
            return;
        }

        if (Connection.WasCutAsSlowConsumer)
        {
            Hub.CutSlowConsumer(user, Connection.MaxSendQueueBytes);
        }
        else
        {
            Hub.Quit(user, reason ?? "left");
        }
    }

    /// <summary>A room name from the request, its <c>#</c> added when the page left it out.</summary>
    private static string RoomOf(JsonElement request) => Text(request, "room") is { Length: > 0 } room ? room[0] == '#' ? room : "#" + room : "";

    private static ChatMessageKind KindOf(JsonElement request) => Text(request, "kind") switch
    {
        "action" => ChatMessageKind.Action,
        "notice" => ChatMessageKind.Notice,
        _ => ChatMessageKind.Message,
    };

    public static string? Text(JsonElement request, string name) =>
        request.TryGetProperty(name, out var value) && value.ValueKind == JsonValueKind.String ? value.GetString() : null;
}
