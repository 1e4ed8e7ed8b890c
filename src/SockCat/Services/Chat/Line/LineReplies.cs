namespace SockCat.Services.Chat.Line;

/// <summary>The line protocol's words: the help, and one error line for each hub result.</summary>
internal static class LineReplies
{
    public static readonly string[] Help =
    [
        "*** Commands:",
        "***   /nick NAME             choose or change your nickname",
        "***   /join ROOM [KEY]       enter a room (made if new, with you as its operator); it becomes your current room",
        "***   /part [ROOM] [REASON]  leave the current room (or ROOM)",
        "***   /msg NICK TEXT         a private message: [pm] <you> TEXT",
        "***   /me ACTION             an action in the current room: * you ACTION",
        "***   /rooms                 the rooms and how many are in each",
        "***   /who [ROOM|*]          who is in the current room (or ROOM; * for everyone online)",
        "***   /topic [TEXT|-]        show, set or (-) clear the current room's topic",
        "***   /invite NICK [ROOM]    invite someone to the current room (or ROOM)",
        "***   /kick NICK [REASON]    put someone out of the current room (operators)",
        "***   /mode [ROOM] +k KEY|-k|+i|-i|+t|-t|+o NICK|-o NICK   (operators) key, invite-only, topic lock, operators",
        "***   /away [TEXT]           say you are away (alone: back)",
        "***   /help                  this list",
        "***   /quit [REASON]         leave",
        "*** Any other line goes to your current room (start it with // to send one beginning with /).",
    ];

    private static readonly HashSet<string> Commands =
        ["join", "j", "part", "leave", "msg", "m", "query", "me", "who", "names", "topic", "invite", "kick", "mode", "away"];

    /// <summary>True for a command that needs a nick first.</summary>
    public static bool IsCommand(string name) => Commands.Contains(name);

    /// <summary>The error line for a failed <paramref name="result"/>; <paramref name="room"/> and <paramref name="nick"/> name what it was about.</summary>
    public static string Error(ChatResult result, ChatOptions options, string? room, string? nick)
    {
        // What the user typed comes back in the error: made as safe for their terminal as anyone's text.
        room = room is null ? null : ChatText.Clean(room);
        nick = nick is null ? null : ChatText.Clean(nick);
        return Wording(result, options, room, nick);
    }

    private static string Wording(ChatResult result, ChatOptions options, string? room, string? nick) => result switch
    {
        ChatResult.NickInvalid => $"error: '{nick}' cannot be a nickname; use 1 to {options.MaxNickLength} letters, digits or -_[]{{}}\\|^` (not starting with a digit or -)",
        ChatResult.NickInUse => $"error: the nickname {nick} is taken; choose another with /nick NAME",
        ChatResult.NoSuchNick => $"error: no one is called {nick}; /who * lists who is online",
        ChatResult.RoomInvalid => $"error: '{LineChatProtocol.Bare(room ?? "")}' cannot be a room name; use up to {options.MaxRoomNameLength - 1} characters without spaces, commas or colons",
        ChatResult.NoSuchRoom => $"error: there is no room {room}; /rooms lists them, /join {LineChatProtocol.Bare(room ?? "")} makes it",
        ChatResult.BadKey => $"error: {room} needs its key; /join {LineChatProtocol.Bare(room ?? "")} KEY",
        ChatResult.InviteOnly => $"error: {room} is invite-only; ask one of its operators for an /invite",
        ChatResult.RoomFull => $"error: {room} is full; try again later",
        ChatResult.TooManyRooms => $"error: you are in {options.MaxRoomsPerUser} rooms already; /part one first",
        ChatResult.AlreadyInRoom => $"error: you are in {room} already",
        ChatResult.NotInRoom => $"error: you are not in {room}; /join {LineChatProtocol.Bare(room ?? "")} first",
        ChatResult.TargetNotInRoom => $"error: {nick} is not in {room}",
        ChatResult.TargetInRoom => $"error: {nick} is in {room} already",
        ChatResult.NotOperator => $"error: only operators of {room} can do that",
        ChatResult.CannotSendToRoom => $"error: {room} takes messages from its members only; /join {LineChatProtocol.Bare(room ?? "")} first",
        ChatResult.NoText => "error: nothing to send; put the text after the command",
        ChatResult.UnknownMode => $"error: unknown mode {nick}; use +k KEY, -k, +i, -i, +t, -t, +n, -n, +o NICK or -o NICK",
        ChatResult.MissingArgument => $"error: {nick} needs an argument: +k KEY (one word) or +o NICK",
        ChatResult.NotRegistered => "error: choose a nickname first: /nick NAME",
        _ => $"error: {result}",
    };

    /// <summary>A room's modes in words: "public, topic set by operators only".</summary>
    public static string DescribeModes(ChatRoom room)
    {
        var parts = new List<string>
        {
            room.IsInviteOnly ? "invite-only" : room.Key is not null ? "keyed" : "public",
            room.IsTopicLocked ? "topic set by operators only" : "topic set by any member",
        };
        if (!room.IsNoExternalMessages)
        {
            parts.Add("open to messages from outside");
        }

        return $"{string.Join(", ", parts)} ({room.ModeString})";
    }
}
