using SockCat.Server;

namespace SockCat.Services.Chat;

public sealed partial class ChatService
{
    /// <summary>
    /// The IRC protocol for a connection whose first line was IRC's (NICK, USER, CAP, PASS), or on an IRC-only listener;
    /// it is handed that line and what follows. Null: IRC is not served (the client is told so in one line).
    /// </summary>
    // The seam the IRC adapter plugs into: replace this body with `new Irc.IrcProtocol(this, connection)`.
    internal IConnectionProtocol? CreateIrcProtocol(IConnection connection) => null;
}
