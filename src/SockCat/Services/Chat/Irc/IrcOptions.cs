namespace SockCat.Services.Chat;

/// <summary>
/// How a chat server speaks IRC, beside the rules every protocol shares (<see cref="ChatOptions"/>, which IRC announces in
/// RPL_ISUPPORT): the message of the day and the PING timer that drops a peer gone silent. (The registration timeout and the line length are
/// every protocol's: <see cref="ChatServiceOptions"/>.)
/// </summary>
public sealed class IrcOptions
{
    /// <summary>The network's name (ISUPPORT <c>NETWORK</c>), which clients show. Defaults to <c>SockCat</c>.</summary>
    public string NetworkName { get; set; } = "SockCat";

    /// <summary>
    /// The message of the day, one line each, sent after registration (RPL_MOTD); empty sends ERR_NOMOTD (422).
    /// Defaults to two lines saying the rooms are shared with telnet and nc users.
    /// </summary>
    public IReadOnlyList<string> Motd { get; set; } =
    [
        "Rooms here are shared with telnet and nc users of the same port.",
        "/join #lobby to talk; /list for the rooms.",
    ];

    /// <summary>
    /// A registered client silent this long is sent a PING; one that stays silent as long again is closed with
    /// <c>Ping timeout</c>, so a peer that vanished without a FIN (a laptop closed, a network gone) leaves its rooms.
    /// Defaults to 90 seconds.
    /// </summary>
    public TimeSpan PingInterval { get; set; } = TimeSpan.FromSeconds(90);
}
