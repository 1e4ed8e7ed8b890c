using SockCat.Server;

namespace SockCat.Services.Chat;

/// <summary>
/// <c>sockcat serve chat</c>: a <see cref="ChatHub"/> served to telnet and nc users (the line protocol) and IRC clients on
/// the same listeners, each connection's protocol told apart by its first line (<see cref="ChatProtocolMode.Auto"/>).
/// Pass <see cref="CreateProtocol"/> as a server's protocol factory:
/// <code>
/// var chat = new ChatService(new ChatHub());
/// await using var server = new SockCatServer(chat.CreateProtocol);
/// await server.StartAsync([EndpointUrl.Parse("tcp://127.0.0.1:6667")]);
/// </code>
/// </summary>
public sealed partial class ChatService
{
    /// <summary>Creates the service over <paramref name="hub"/>.</summary>
    public ChatService(ChatHub hub, ChatServiceOptions? options = null)
    {
        ArgumentNullException.ThrowIfNull(hub);
        Hub = hub;
        Options = options ?? new ChatServiceOptions();
        ArgumentOutOfRangeException.ThrowIfLessThan(Options.MaxLineLength, 16, nameof(ChatServiceOptions.MaxLineLength));
        ArgumentOutOfRangeException.ThrowIfLessThanOrEqual(Options.RegistrationTimeout, TimeSpan.Zero, nameof(ChatServiceOptions.RegistrationTimeout));
    }

    /// <summary>The hub every connection of the service joins.</summary>
    public ChatHub Hub { get; }

    /// <summary>The settings the service was created with.</summary>
    public ChatServiceOptions Options { get; }

    /// <summary>The protocol for a new connection: pass this method as a <see cref="SockCatServer"/>'s protocol factory.</summary>
    public IConnectionProtocol CreateProtocol(IConnection connection) => new ChatProtocolSelector(this, Options.Protocol);

    /// <summary>The line protocol for a connection whose first line said so (or on a line-only listener).</summary>
    /// <param name="connection">The connection.</param>
    /// <param name="welcomed">True when the welcome was already written (the client was silent past the greeting delay).</param>
    internal IConnectionProtocol CreateLineProtocol(IConnection connection, bool welcomed) =>
        new Line.LineChatProtocol(this, welcomed);
}
