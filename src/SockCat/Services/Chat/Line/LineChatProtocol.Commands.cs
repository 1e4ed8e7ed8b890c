using SockCat.Server;

namespace SockCat.Services.Chat.Line;

internal sealed partial class LineChatProtocol
{
    private void Command(IConnection connection, string line)
    {
        var space = line.IndexOf(' ');
        var name = (space < 0 ? line[1..] : line[1..space]).ToLowerInvariant();
        var rest = space < 0 ? "" : line[(space + 1)..].Trim();
        switch (name)
        {
            case "help" or "?":
                foreach (var help in LineReplies.Help)
                {
                    Say(connection, help);
                }

                return;
            case "quit" or "exit" or "bye":
                Quit(connection, rest);
                return;
            case "nick":
                Nick(connection, rest);
                return;
            case "rooms" or "list":
                Rooms(connection);
                return;
        }

        if (_user is not { } user)
        {
            Say(connection, LineReplies.IsCommand(name)
                ? "error: choose a nickname first: /nick NAME"
                : $"error: unknown command /{ChatText.Clean(name)}; /help lists the commands");
            return;
        }

        var (first, after) = Split(rest);
        switch (name)
        {
            case "join" or "j":
                Join(connection, user, first, after);
                break;
            case "part" or "leave":
                Part(connection, user, first, after);
                break;
            case "msg" or "m" or "query":
                Private(connection, user, first, after);
                break;
            case "me":
                if (rest.Length == 0)
                {
                    Say(connection, "error: /me needs an action: /me waves");
                    break;
                }

                SayInRoom(connection, rest, ChatMessageKind.Action);
                break;
            case "who" or "names":
                Who(connection, user, first);
                break;
            case "topic":
                Topic(connection, user, rest);
                break;
            case "invite":
                Invite(connection, user, first, after);
                break;
            case "kick":
                Kick(connection, user, first, after);
                break;
            case "mode":
                Mode(connection, user, rest);
                break;
            case "away":
                _hub.SetAway(user, rest);
                Say(connection, rest.Length == 0 ? "*** you are back" : "*** you are away; /away alone when you are back");
                break;
            default:
                Say(connection, $"error: unknown command /{ChatText.Clean(name)}; /help lists the commands");
                break;
        }
    }

    private void Nick(IConnection connection, string nick)
    {
        if (nick.Length == 0 || nick.Contains(' '))
        {
            Say(connection, _user is null ? "error: /nick needs one name: /nick alice" : $"*** you are {_user.Nick}; /nick NAME changes it");
            return;
        }

        if (_user is { } user)
        {
            var old = user.Nick;
            if (Check(connection, FloodToken(user), null, null) && Check(connection, _hub.ChangeNick(user, nick), null, nick))
            {
                Say(connection, old == user.Nick ? $"*** you are {old} already" : $"*** you are now known as {user.Nick}");
            }

            return;
        }

        if (Check(connection, _hub.Register(connection, this, nick, out var registered), null, nick))
        {
            _user = registered;
            Say(connection, $"*** you are {nick}. /join ROOM to enter a room ({Rooms(_hub.ListRooms(registered))}).");
        }
    }

    private void Join(IConnection connection, ChatUser user, string roomText, string key)
    {
        if (roomText.Length == 0)
        {
            Say(connection, "error: /join needs a room: /join lobby");
            return;
        }

        var name = RoomName(roomText);
        if (_hub.FindRoom(name) is { } existing && user.IsIn(existing))
        {
            _current = existing;
            Say(connection, $"*** now talking in {existing.Name}");
            return;
        }

        if (!Check(connection, FloodToken(user), null, null)
            || !Check(connection, _hub.Join(user, name, key.Length == 0 ? null : key, out var room), name, null))
        {
            return;
        }

        _current = room!;
        var made = room!.MemberCount == 1 && room.IsOperator(user);
        Say(connection, made ? $"*** you made {room.Name} and are its operator; it is your current room" : $"*** you joined {room.Name}; it is your current room");
        if (room.Topic.Length > 0)
        {
            Say(connection, $"*** topic: {ChatText.RemoveIrcFormatting(room.Topic)} (set by {room.TopicSetBy})");
        }

        Say(connection, Members(room));
    }

    private void Part(IConnection connection, ChatUser user, string roomText, string reason)
    {
        var room = roomText.Length == 0 ? _current : _hub.FindRoom(RoomName(roomText));
        var name = room?.Name ?? (roomText.Length == 0 ? null : RoomName(roomText));
        if (name is null)
        {
            Say(connection, "error: you are in no room; /part ROOM names one");
            return;
        }

        if (!Check(connection, _hub.Part(user, name, reason), name, null))
        {
            return;
        }

        Say(connection, $"*** you left {name}");
        if (ReferenceEquals(room, _current))
        {
            MoveOn();
        }
    }

    private void Private(IConnection connection, ChatUser user, string target, string text)
    {
        if (target.Length == 0 || text.Length == 0)
        {
            Say(connection, "error: /msg needs a nick and a message: /msg bob hello");
            return;
        }

        if (target[0] == ChatNames.RoomPrefix)
        {
            Check(connection, _hub.SendToRoom(user, target, ChatMessageKind.Message, text), target, null);
            return;
        }

        if (Check(connection, _hub.SendToUser(user, target, ChatMessageKind.Message, text, out var to), null, target) && to!.Away is { } away)
        {
            Say(connection, $"*** {to.Nick} is away: {ChatText.RemoveIrcFormatting(away)}");
        }
    }

    private void Who(IConnection connection, ChatUser user, string roomText)
    {
        if (roomText == "*" || roomText.Length == 0 && _current is null)
        {
            var everyone = _hub.Users.Select(u => u.Nick).Order(ChatNames.Comparer).ToList();
            Say(connection, $"*** online ({everyone.Count}): {string.Join(' ', everyone)}");
            return;
        }

        var name = roomText.Length == 0 ? _current!.Name : RoomName(roomText);
        var room = _hub.FindRoom(name);
        if (room is null || room.IsPrivate && !room.HasMember(user))
        {
            Say(connection, LineReplies.Error(ChatResult.NoSuchRoom, _hub.Options, name, null));
            return;
        }

        Say(connection, Members(room));
    }

    private void Topic(IConnection connection, ChatUser user, string text)
    {
        if (_current is not { } room)
        {
            Say(connection, "error: you are in no room; /join ROOM first");
            return;
        }

        if (text.Length == 0)
        {
            Say(connection, room.Topic.Length == 0
                ? $"*** {room.Name} has no topic; /topic TEXT sets one"
                : $"*** topic of {room.Name}: {ChatText.RemoveIrcFormatting(room.Topic)} (set by {room.TopicSetBy})");
            return;
        }

        // The Topic event comes back to the setter too: "[#room] *** alice set the topic: ...".
        if (Check(connection, FloodToken(user), null, null))
        {
            Check(connection, _hub.SetTopic(user, room.Name, text == "-" ? "" : text), room.Name, null);
        }
    }

    private void Invite(IConnection connection, ChatUser user, string nick, string roomText)
    {
        var name = roomText.Length > 0 ? RoomName(roomText) : _current?.Name;
        if (nick.Length == 0 || name is null)
        {
            Say(connection, "error: /invite needs a nick and a room: /invite bob lobby");
            return;
        }

        if (Check(connection, FloodToken(user), null, null) && Check(connection, _hub.Invite(user, nick, name), name, nick))
        {
            Say(connection, $"*** invited {nick} to {name}");
        }
    }

    private void Kick(IConnection connection, ChatUser user, string nick, string reason)
    {
        if (_current is not { } room)
        {
            Say(connection, "error: you are in no room; /join ROOM first");
            return;
        }

        if (nick.Length == 0)
        {
            Say(connection, "error: /kick needs a nick: /kick bob [REASON]");
            return;
        }

        Check(connection, _hub.Kick(user, room.Name, nick, reason), room.Name, nick);
    }

    private void Mode(IConnection connection, ChatUser user, string rest)
    {
        var words = rest.Split(' ', StringSplitOptions.RemoveEmptyEntries);
        var at = 0;
        ChatRoom? room = _current;
        string? name = room?.Name;
        if (words.Length > 0 && words[0][0] is not ('+' or '-'))
        {
            name = RoomName(words[0]);
            room = _hub.FindRoom(name);
            at = 1;
        }

        if (name is null)
        {
            Say(connection, "error: /mode needs a room: /mode lobby +i");
            return;
        }

        if (at == words.Length)
        {
            Say(connection, room is null
                ? LineReplies.Error(ChatResult.NoSuchRoom, _hub.Options, name, null)
                : $"*** {room.Name} is {LineReplies.DescribeModes(room)}");
            return;
        }

        var change = words[at];
        if (change.Length != 2 || change[0] is not ('+' or '-'))
        {
            Say(connection, LineReplies.Error(ChatResult.UnknownMode, _hub.Options, name, change));
            return;
        }

        var argument = at + 1 < words.Length ? words[at + 1] : null;
        Check(connection, _hub.SetMode(user, name, change[1], change[0] == '+', argument), name, argument ?? change);
    }

    private void Rooms(IConnection connection)
    {
        var rooms = _hub.ListRooms(_user);
        if (rooms.Count == 0)
        {
            Say(connection, "*** no rooms yet; /join ROOM makes one");
            return;
        }

        Say(connection, $"*** {rooms.Count} room{(rooms.Count == 1 ? "" : "s")}:");
        foreach (var room in rooms)
        {
            var topic = room.Topic.Length > 0 ? $" - {ChatText.RemoveIrcFormatting(room.Topic)}" : "";
            Say(connection, $"***   {room.Name} ({room.MemberCount}){topic}");
        }
    }

    private void Quit(IConnection connection, string reason)
    {
        Say(connection, "*** bye");
        _done = true;
        if (_user is { } user)
        {
            _hub.Quit(user, reason);
        }

        connection.Close();
    }

    private ChatResult FloodToken(ChatUser user) => user.TakeFloodToken();

    private string RoomName(string text) => text[0] == ChatNames.RoomPrefix ? text : ChatNames.RoomPrefix + text;

    private static string Members(ChatRoom room)
    {
        var members = room.Members;
        var names = members.Select(m => (m.IsOperator ? "@" : "") + m.User.Nick);
        return $"*** in {room.Name} ({members.Count}): {string.Join(' ', names)}";
    }

    private static string Rooms(IReadOnlyList<ChatRoom> rooms) => rooms.Count switch
    {
        0 => "no rooms yet: yours will be the first",
        1 => "1 room so far; /rooms lists it",
        _ => $"{rooms.Count} rooms so far; /rooms lists them",
    };

    private static (string First, string After) Split(string text)
    {
        var space = text.IndexOf(' ');
        return space < 0 ? (text, "") : (text[..space], text[(space + 1)..].Trim());
    }
}
