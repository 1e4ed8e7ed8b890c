namespace SockCat.Services.Chat;

/// <summary>The settings of a <see cref="ChatService"/>'s connections (the hub's own rules are <see cref="ChatOptions"/>).</summary>
public sealed class ChatServiceOptions
{
    /// <summary>The default <see cref="MaxLineLength"/>: 512 bytes, IRC's line length.</summary>
    public const int DefaultMaxLineLength = 512;

    /// <summary>
    /// The longest line a client may send, in bytes, without its terminator; a longer one is refused with one error line
    /// and never relayed, and its bytes are dropped as they come (never buffered whole). Defaults to 512.
    /// </summary>
    public int MaxLineLength { get; set; } = DefaultMaxLineLength;

    /// <summary>A client that has not chosen a nickname (registered) in this time is told so and disconnected. Defaults to 60 seconds.</summary>
    public TimeSpan RegistrationTimeout { get; set; } = TimeSpan.FromSeconds(60);

    /// <summary>
    /// With <see cref="ChatProtocolMode.Auto"/>, how long a silent client waits before the line protocol's welcome is written:
    /// IRC clients speak first (CAP, NICK) and must not get it; a telnet user who says nothing sees it after this.
    /// Defaults to 300 milliseconds.
    /// </summary>
    public TimeSpan GreetingDelay { get; set; } = TimeSpan.FromMilliseconds(300);

    /// <summary>Which protocol connections speak. Defaults to <see cref="ChatProtocolMode.Auto"/>: told apart by the first line.</summary>
    public ChatProtocolMode Protocol { get; set; } = ChatProtocolMode.Auto;

    /// <summary>How IRC clients are served: the message of the day, the PING interval. Defaults to <see cref="IrcOptions"/>' defaults.</summary>
    public IrcOptions Irc { get; set; } = new();

    /// <summary>
    /// How long a browser user who lost its WebSocket keeps its nick and rooms: the page reconnects with its resume token
    /// within this and gets what was said meanwhile. Defaults to 30 seconds; zero: the user quits with its WebSocket.
    /// </summary>
    public TimeSpan WebResumeWindow { get; set; } = TimeSpan.FromSeconds(30);

    /// <summary>The clock for timeouts; tests pass a fake one. Defaults to <see cref="System.TimeProvider.System"/>.</summary>
    public TimeProvider TimeProvider { get; set; } = TimeProvider.System;
}
