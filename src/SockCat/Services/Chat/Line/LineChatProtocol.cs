using System.Text;
using SockCat.Framing;
using SockCat.Server;

namespace SockCat.Services.Chat.Line;

/// <summary>
/// The chat for people at telnet or nc: one command or message per line (<c>/nick</c>, <c>/join</c>, <c>/msg</c>, ... or
/// plain text to the current room), one line per event (<see cref="LineRenderer"/>), one clear error line per mistake.
/// Lines are framed by the library's <see cref="LineFramer"/> at <see cref="ChatServiceOptions.MaxLineLength"/>: a longer
/// line is refused, its bytes dropped as they come. Invalid UTF-8 becomes U+FFFD and control characters are made visible
/// by the hub before anyone else sees them.
/// </summary>
internal sealed partial class LineChatProtocol : IConnectionProtocol, IChatClient, IChatSession
{
    private readonly ChatService _service;
    private readonly ChatHub _hub;
    private readonly LineFramer _framer;
    private readonly bool _welcomed;
    private IConnection _connection = null!;
    private ChatUser? _user;
    private ChatRoom? _current;
    private bool _floodWarned;
    private bool _done;

    public LineChatProtocol(ChatService service, bool welcomed)
    {
        _service = service;
        _hub = service.Hub;
        _framer = new LineFramer(service.Options.MaxLineLength);
        _welcomed = welcomed;
    }

    /// <summary>The user, once it has a nick.</summary>
    internal ChatUser? User => _user;

    public bool IsRegistered => _user is not null;

    /// <summary>The welcome: what this is and how to start. Written on connecting, or by the selector to a silent client.</summary>
    internal static void WriteWelcome(IConnection connection, ChatService service)
    {
        var hub = service.Hub;
        Say(connection, $"*** Welcome to sockcat chat: {Counted(hub.UserCount, "user")} online, {Counted(hub.RoomCount, "room")}.");
        Say(connection, "*** Choose a nickname with /nick NAME, then /join ROOM and type to talk. /help lists the commands.");
    }

    /// <summary>What a client that never chose a nick is told before it is cut.</summary>
    internal static void WriteRegistrationTimeout(IConnection connection, ChatService service)
    {
        Say(connection, $"error: no nickname chosen in {Seconds(service.Options.RegistrationTimeout)}; reconnect and start with /nick NAME");
        connection.Close("no nickname chosen in time");
    }

    public void OnConnected(IConnection connection)
    {
        _connection = connection;
        if (!_welcomed)
        {
            WriteWelcome(connection, _service);
        }
    }

    public int OnReceived(IConnection connection, ReadOnlySpan<byte> data)
    {
        var lines = _framer.Read(data);
        while (lines.MoveNext())
        {
            if (_done)
            {
                // After /quit or a flood cut, what follows is not read.
                return data.Length;
            }

            if (lines.IsTooLong)
            {
                Say(connection, $"error: line longer than {_framer.MaxLineLength} bytes not sent; send shorter lines");
                continue;
            }

            Handle(connection, lines.Current);
        }

        return lines.Consumed;
    }

    public void OnInputEnded(IConnection connection, ReadOnlySpan<byte> unconsumed)
    {
        var lines = _framer.ReadFinal(unconsumed);
        while (!_done && lines.MoveNext())
        {
            if (lines.IsTooLong)
            {
                Say(connection, $"error: line longer than {_framer.MaxLineLength} bytes not sent; send shorter lines");
                continue;
            }

            Handle(connection, lines.Current);
        }

        // As ncat --chat: a user whose input ended has left (after what it is owed is sent), so piped clients finish.
        if (_user is { } user)
        {
            _hub.Quit(user, "connection closed");
        }

        connection.ShutdownSend();
    }

    public void OnSlowConsumer(IConnection connection, int limitBytes)
    {
        if (_user is { } user)
        {
            _hub.CutSlowConsumer(user, limitBytes);
        }
    }

    public void OnClosed(IConnection connection, string? reason)
    {
        if (_user is { } user)
        {
            _hub.Quit(user, reason ?? "connection closed");
        }
    }

    public void OnRegistrationTimeout(IConnection connection) => WriteRegistrationTimeout(connection, _service);

    public void OnChatEvent(ChatUser self, ChatEvent e)
    {
        if (ReferenceEquals(e.Source, self) && e.Kind is ChatEventKind.Join or ChatEventKind.Part or ChatEventKind.Nick)
        {
            // The command that caused it says it in the second person.
            return;
        }

        if (e.Kind == ChatEventKind.Kick && ChatNames.Comparer.Equals(e.TargetNick, self.Nick))
        {
            Say(_connection, $"*** {e.SourceNick} put you out of {e.Room!.Name}{ReasonText(e.Text)}");
            if (ReferenceEquals(_current, e.Room))
            {
                MoveOn();
            }

            return;
        }

        _connection.Write(e.Render(LineRenderer.Instance));
    }

    /// <summary>A room name as typed after /join, without its <c>#</c>.</summary>
    internal static string Bare(string room) => room.StartsWith(ChatNames.RoomPrefix) ? room[1..] : room;

    private void Handle(IConnection connection, ReadOnlySpan<byte> line)
    {
        var text = ChatText.Decode(line).TrimEnd();
        if (text.Length == 0)
        {
            return;
        }

        if (text[0] == '/' && !text.StartsWith("//", StringComparison.Ordinal))
        {
            Command(connection, text);
            return;
        }

        // "//etc" sends "/etc".
        SayInRoom(connection, text[0] == '/' ? text[1..] : text, ChatMessageKind.Message);
    }

    private void SayInRoom(IConnection connection, string text, ChatMessageKind kind)
    {
        if (_user is not { } user)
        {
            Say(connection, "error: choose a nickname first: /nick NAME");
            return;
        }

        if (_current is not { } room || !user.IsIn(room))
        {
            Say(connection, "error: you are in no room; /join ROOM first (/rooms lists them)");
            return;
        }

        Check(connection, _hub.SendToRoom(user, room.Name, kind, text), room.Name, null);
    }

    /// <summary>The current room is gone (parted, kicked): the last room joined is current now, if any.</summary>
    private void MoveOn()
    {
        var rooms = _user?.Rooms ?? [];
        _current = rooms.Count > 0 ? rooms[^1] : null;
        Say(_connection, _current is { } next
            ? $"*** now talking in {next.Name}"
            : "*** you are in no room now; /join ROOM to enter one");
    }

    /// <summary>
    /// Says a failed result in one line and returns false; true on Ok. Flooding warns once; FloodDisconnect cuts the user.
    /// </summary>
    private bool Check(IConnection connection, ChatResult result, string? room, string? nick)
    {
        if (result == ChatResult.Ok)
        {
            _floodWarned = false;
            return true;
        }

        if (result == ChatResult.Flooding)
        {
            if (!_floodWarned)
            {
                _floodWarned = true;
                Say(connection, $"error: you are sending too fast (over {_hub.Options.FloodMessagesPerSecond:0.#} messages a second); slow down or you will be disconnected");
            }

            return false;
        }

        if (result == ChatResult.FloodDisconnect)
        {
            Say(connection, "*** disconnected: excess flood");
            _done = true;
            if (_user is { } user)
            {
                _hub.QuitFlooding(user);
            }

            connection.Close("excess flood");
            return false;
        }

        Say(connection, LineReplies.Error(result, _hub.Options, room, nick));
        return false;
    }

    internal static void Say(IConnection connection, string line)
    {
        Encoding.UTF8.GetBytes(line.AsSpan(), connection);
        connection.Write("\n"u8);
    }

    private static string ReasonText(string reason) => reason.Length == 0 ? "" : $" ({ChatText.RemoveIrcFormatting(reason)})";

    private static string Counted(int n, string what) => n == 1 ? $"1 {what}" : $"{n} {what}s";

    private static string Seconds(TimeSpan t) => t.TotalSeconds == 1 ? "1 second" : $"{t.TotalSeconds:0.###} seconds";
}
