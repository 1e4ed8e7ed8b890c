namespace SockCat.Services.Chat;

/// <summary>What a <see cref="ChatEvent"/> reports; which of its properties are set depends on this.</summary>
internal enum ChatEventKind
{
    /// <summary>
    /// A message, action or notice (<see cref="ChatEvent.MessageKind"/>) from <see cref="ChatEvent.SourceNick"/>: to a room
    /// when <see cref="ChatEvent.Room"/> is set, else privately to the recipient. <see cref="ChatEvent.Text"/> is the text.
    /// Not delivered back to its sender.
    /// </summary>
    Message,

    /// <summary><see cref="ChatEvent.SourceNick"/> joined <see cref="ChatEvent.Room"/>. The joiner receives it too, first.</summary>
    Join,

    /// <summary>
    /// <see cref="ChatEvent.SourceNick"/> left <see cref="ChatEvent.Room"/>, <see cref="ChatEvent.Text"/> the reason (may be
    /// empty). The leaver receives it too.
    /// </summary>
    Part,

    /// <summary>
    /// <see cref="ChatEvent.SourceNick"/> quit, <see cref="ChatEvent.Text"/> the reason (a cut slow consumer's says so).
    /// Sent once to each user who shares a room with the quitter; <see cref="ChatEvent.Room"/> is null.
    /// </summary>
    Quit,

    /// <summary>
    /// <see cref="ChatEvent.SourceNick"/> is now <see cref="ChatEvent.NewNick"/>. Sent once to each user who shares a room
    /// with them, and to the user itself; <see cref="ChatEvent.Room"/> is null.
    /// </summary>
    Nick,

    /// <summary>
    /// <see cref="ChatEvent.SourceNick"/> set <see cref="ChatEvent.Room"/>'s topic to <see cref="ChatEvent.Text"/> (empty:
    /// cleared). Every member receives it, the setter too.
    /// </summary>
    Topic,

    /// <summary>
    /// <see cref="ChatEvent.SourceNick"/> kicked <see cref="ChatEvent.TargetNick"/> out of <see cref="ChatEvent.Room"/>,
    /// <see cref="ChatEvent.Text"/> the reason. Every member receives it, the kicked user too (who is out of the room when it
    /// arrives).
    /// </summary>
    Kick,

    /// <summary>
    /// <see cref="ChatEvent.SourceNick"/> invited the recipient (<see cref="ChatEvent.TargetNick"/>) to
    /// <see cref="ChatEvent.Room"/>. Only the invited user receives it; the inviter's protocol confirms on its own.
    /// </summary>
    Invite,

    /// <summary>
    /// <see cref="ChatEvent.SourceNick"/> changed a mode of <see cref="ChatEvent.Room"/>: <see cref="ChatEvent.Mode"/> set
    /// (<see cref="ChatEvent.ModeOn"/>) or unset, with <see cref="ChatEvent.ModeArgument"/> (the key for +k, the nick for +o).
    /// Every member receives it, the setter too.
    /// </summary>
    Mode,
}

/// <summary>The three ways to say something, as IRC has them.</summary>
public enum ChatMessageKind
{
    /// <summary>An ordinary message (IRC PRIVMSG; the line protocol's plain line and /msg).</summary>
    Message,

    /// <summary>An action (IRC's CTCP ACTION; the line protocol's /me): "* alice waves".</summary>
    Action,

    /// <summary>A notice (IRC NOTICE): never answered automatically.</summary>
    Notice,
}
