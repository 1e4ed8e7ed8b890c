namespace SockCat.Services.Chat;

/// <summary>The rules of a <see cref="ChatHub"/>, the same for every protocol on it (IRC announces them in ISUPPORT).</summary>
public sealed class ChatOptions
{
    /// <summary>The longest nick, in characters (ISUPPORT <c>NICKLEN</c>). Defaults to 30.</summary>
    public int MaxNickLength { get; set; } = 30;

    /// <summary>The longest room name, in characters, its <c>#</c> included (ISUPPORT <c>CHANNELLEN</c>). Defaults to 50.</summary>
    public int MaxRoomNameLength { get; set; } = 50;

    /// <summary>The longest topic, in characters (ISUPPORT <c>TOPICLEN</c>); a longer one is cut. Defaults to 390.</summary>
    public int MaxTopicLength { get; set; } = 390;

    /// <summary>The longest kick, part or quit reason and away message, in characters; a longer one is cut. Defaults to 390.</summary>
    public int MaxReasonLength { get; set; } = 390;

    /// <summary>Rooms one user may be in at once (ISUPPORT <c>CHANLIMIT</c>). Defaults to 50.</summary>
    public int MaxRoomsPerUser { get; set; } = 50;

    /// <summary>Members one room may have. Defaults to 100,000.</summary>
    public int MaxRoomMembers { get; set; } = 100_000;

    /// <summary>
    /// Messages (to rooms or users) one user may send per second, on average; 0 turns flood control off. Past the rate and
    /// <see cref="FloodBurst"/>, messages are dropped with a warning, and a user who goes on for another burst is
    /// disconnected. Defaults to 10.
    /// </summary>
    public double FloodMessagesPerSecond { get; set; } = 10;

    /// <summary>Messages a user may send at once before <see cref="FloodMessagesPerSecond"/> applies. Defaults to 20.</summary>
    public int FloodBurst { get; set; } = 20;

    /// <summary>The server's name, as IRC prefixes its own messages with it. Defaults to <c>sockcat</c>.</summary>
    public string ServerName { get; set; } = "sockcat";
}
