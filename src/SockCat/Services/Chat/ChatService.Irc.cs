using SockCat.Server;

namespace SockCat.Services.Chat;

public sealed partial class ChatService
{
    private Irc.IrcServer? _ircServer;

    /// <summary>
    /// The protocol for a new connection on a listener that speaks <paramref name="mode"/> whatever
    /// <see cref="ChatServiceOptions.Protocol"/> says: an <c>irc://</c> listener beside a server's auto-detecting ones.
    /// </summary>
    public IConnectionProtocol CreateProtocolFor(IConnection connection, ChatProtocolMode mode) => new ChatProtocolSelector(this, mode);

    /// <summary>
    /// The IRC protocol for a connection whose first line was IRC's (NICK, USER, CAP, PASS), or on an IRC-only listener;
    /// it is handed that line and what follows.
    /// </summary>
    internal IConnectionProtocol CreateIrcProtocol(IConnection connection) => IrcServer.CreateProtocol();

    // Made on the first IRC connection: its keep-alive sweep and ISUPPORT tokens are for a service that has IRC clients.
    private Irc.IrcServer IrcServer => LazyInitializer.EnsureInitialized(ref _ircServer, () => new Irc.IrcServer(this));
}
