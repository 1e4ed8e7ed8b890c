namespace SockCat.Services.Chat.Irc;

/// <summary>How a user's host is written in IRC replies.</summary>
internal static class IrcHost
{
    /// <summary>
    /// <paramref name="host"/> safe as a middle parameter: an IPv6 address that starts with a colon (<c>::1</c>) would read as
    /// the start of a trailing parameter in RPL_WHOREPLY, so it gets a leading zero (<c>0::1</c>), as ircds write it.
    /// </summary>
    public static string Visible(string host) => host.StartsWith(':') ? "0" + host : host;
}
