using SockCat.Server;

namespace SockCat.Services.Chat;

public sealed partial class ChatService
{
    /// <summary>
    /// The IRC protocol for a connection whose first line was IRC's (NICK, USER, CAP, PASS), or on an IRC-only listener;
    /// it is handed that line and what follows. Null: IRC is not served (the client is told so in one line).
    /// </summary>
    internal IConnectionProtocol? CreateIrcProtocol(IConnection connection) => IrcServer.CreateProtocol();

    // Made on the first IRC connection: its keep-alive sweep and ISUPPORT tokens are for a service that has IRC clients.
    private Irc.IrcServer IrcServer => LazyInitializer.EnsureInitialized(ref _ircServer, () => new Irc.IrcServer(this));

    private Irc.IrcServer? _ircServer;
}
