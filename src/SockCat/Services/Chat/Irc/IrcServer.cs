namespace SockCat.Services.Chat.Irc;

/// <summary>
/// The IRC side of one chat server, shared by its IRC connections: the hub they talk through, what the server tells
/// clients about itself, and the keep-alive sweep. One per <see cref="ChatService"/>; each connection gets an <see cref="IrcProtocol"/>.
/// </summary>
internal sealed class IrcServer
{
    public IrcServer(ChatService service)
    {
        Hub = service.Hub;
        Info = new IrcServerInfo(Hub.Options, service.Options.Irc);
        KeepAlive = new IrcKeepAlive(service.Options.Irc.PingInterval, service.Options.TimeProvider);
    }

    /// <summary>The hub the connections talk through.</summary>
    public ChatHub Hub { get; }

    /// <summary>The server's name, limits and message of the day.</summary>
    public IrcServerInfo Info { get; }

    /// <summary>The registration and ping timers.</summary>
    public IrcKeepAlive KeepAlive { get; }

    /// <summary>A protocol for one new connection.</summary>
    public IrcProtocol CreateProtocol() => new(this);
}
