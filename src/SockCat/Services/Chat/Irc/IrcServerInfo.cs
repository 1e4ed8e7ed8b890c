namespace SockCat.Services.Chat.Irc;

/// <summary>
/// What the IRC side of a chat server tells clients about itself, made once from the hub's rules and the IRC options:
/// its name (the source of its replies), the RPL_ISUPPORT (005) tokens, the message of the day.
/// </summary>
internal sealed class IrcServerInfo
{
    public IrcServerInfo(ChatOptions chat, IrcOptions irc)
    {
        Chat = chat;
        Irc = irc;
        ServerName = chat.ServerName;
        Version = "sockcat-" + (typeof(IrcServerInfo).Assembly.GetName().Version?.ToString(3) ?? "0");
        ISupportTokens =
        [
            "AWAYLEN=" + chat.MaxReasonLength,
            "CASEMAPPING=rfc1459",
            "CHANLIMIT=" + ChatNames.RoomPrefix + ":" + chat.MaxRoomsPerUser,
            "CHANMODES=,k,,int",
            "CHANNELLEN=" + chat.MaxRoomNameLength,
            "CHANTYPES=" + ChatNames.RoomPrefix,
            "KICKLEN=" + chat.MaxReasonLength,
            "MODES=4",
            "NETWORK=" + irc.NetworkName,
            "NICKLEN=" + chat.MaxNickLength,
            "PREFIX=(o)@",
            "TOPICLEN=" + chat.MaxTopicLength,
        ];
    }

    /// <summary>The hub's rules.</summary>
    public ChatOptions Chat { get; }

    /// <summary>The IRC options.</summary>
    public IrcOptions Irc { get; }

    /// <summary>The server's name: the source of its replies (<c>:sockcat 001 …</c>).</summary>
    public string ServerName { get; }

    /// <summary>The version of RPL_YOURHOST and RPL_MYINFO.</summary>
    public string Version { get; }

    /// <summary>The ISUPPORT tokens, fewer than the 13 a 005 line may carry.</summary>
    public IReadOnlyList<string> ISupportTokens { get; }
}
