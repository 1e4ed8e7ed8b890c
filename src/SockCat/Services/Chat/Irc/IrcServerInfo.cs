namespace SockCat.Services.Chat.Irc;

/// <summary>
/// What the IRC side of a chat server tells clients about itself: its name (the source of its own messages), the limits
/// it advertises in RPL_ISUPPORT (005), and its timers. One per server, shared by every IRC connection.
/// </summary>
internal sealed class IrcServerInfo
{
    /// <summary>The longest nickname (ISUPPORT NICKLEN); 30 as most networks today.</summary>
    public int NickLength { get; init; } = 30;

    /// <summary>The longest channel name, <c>#</c> included (ISUPPORT CHANNELLEN).</summary>
    public int ChannelLength { get; init; } = 50;

    /// <summary>The longest topic (ISUPPORT TOPICLEN).</summary>
    public int TopicLength { get; init; } = 390;

    /// <summary>The longest away message (ISUPPORT AWAYLEN).</summary>
    public int AwayLength { get; init; } = 200;

    /// <summary>The longest kick reason (ISUPPORT KICKLEN).</summary>
    public int KickLength { get; init; } = 390;

    /// <summary>The server's name: the source of its replies (<c>:sockcat 001 …</c>).</summary>
    public string ServerName { get; init; } = "sockcat";

    /// <summary>The network's name (ISUPPORT NETWORK), shown by clients in their status line.</summary>
    public string NetworkName { get; init; } = "SockCat";

    /// <summary>The version string of RPL_YOURHOST and RPL_MYINFO.</summary>
    public string Version { get; init; } = "sockcat-" + (typeof(IrcServerInfo).Assembly.GetName().Version?.ToString(3) ?? "0");

    /// <summary>When the server started, for RPL_CREATED.</summary>
    public DateTimeOffset Created { get; init; } = DateTimeOffset.UtcNow;

    /// <summary>The message of the day, one line each; empty sends ERR_NOMOTD (422).</summary>
    public IReadOnlyList<string> Motd { get; init; } = [];

    /// <summary>A client that has not registered (NICK and USER) within this long is closed.</summary>
    public TimeSpan RegistrationTimeout { get; init; } = TimeSpan.FromSeconds(30);

    /// <summary>A client silent this long is sent a PING; one silent as long again after it is closed.</summary>
    public TimeSpan PingInterval { get; init; } = TimeSpan.FromSeconds(90);

    /// <summary>The ISUPPORT tokens (005), at most a dozen per line as clients expect.</summary>
    public IReadOnlyList<string> ISupportTokens =>
    [
        "AWAYLEN=" + AwayLength,
        "CASEMAPPING=" + IrcNames.CaseMapping,
        "CHANMODES=,k,l,imnt",
        "CHANNELLEN=" + ChannelLength,
        "CHANTYPES=" + IrcNames.ChannelPrefix,
        "KICKLEN=" + KickLength,
        "MODES=4",
        "NETWORK=" + NetworkName,
        "NICKLEN=" + NickLength,
        "PREFIX=(o)@",
        "TOPICLEN=" + TopicLength,
        "UTF8ONLY",
    ];
}
