namespace SockCat.Services.Chat;

/// <summary>
/// One message between chat nodes over an <see cref="IChatBus"/>: what a user did on its node, for the users of the
/// others. Plain data, so a bus may carry it in any encoding (SockCat.Redis writes it as JSON).
/// </summary>
public sealed class ChatBusMessage
{
    /// <summary>What happened; says which of the other properties are set.</summary>
    public ChatBusMessageKind Kind { get; init; }

    /// <summary>The node that published it (<see cref="IChatBus.NodeId"/>).</summary>
    public string Node { get; init; } = "";

    /// <summary>The room, as its creator spelled it; null for private messages, quits and nick changes.</summary>
    public string? Room { get; init; }

    /// <summary>The acting user's nick (for <see cref="ChatBusMessageKind.Nick"/>, the old one).</summary>
    public string Nick { get; init; } = "";

    /// <summary>The acting user's user name (IRC's USER).</summary>
    public string UserName { get; init; } = "";

    /// <summary>The acting user's host as others see it.</summary>
    public string Host { get; init; } = "";

    /// <summary>The acting user's number on its node, so the node leaves its own sender out when its message comes back.</summary>
    public long SenderId { get; init; }

    /// <summary>A private message's recipient, or the new nick of a <see cref="ChatBusMessageKind.Nick"/>.</summary>
    public string? Target { get; init; }

    /// <summary>The message, or the reason of a part or quit.</summary>
    public string Text { get; init; } = "";

    /// <summary>For messages: message, action or notice.</summary>
    public ChatMessageKind MessageKind { get; init; }

    /// <summary>For <see cref="ChatBusMessageKind.Members"/> and <see cref="ChatBusMessageKind.Sync"/>: the node's members of the room.</summary>
    public string[]? Members { get; init; }
}

/// <summary>What a <see cref="ChatBusMessage"/> reports.</summary>
public enum ChatBusMessageKind
{
    /// <summary>A message, action or notice to <see cref="ChatBusMessage.Room"/>.</summary>
    RoomMessage,

    /// <summary>A message, action or notice to the user <see cref="ChatBusMessage.Target"/>.</summary>
    PrivateMessage,

    /// <summary>The user joined <see cref="ChatBusMessage.Room"/>.</summary>
    Join,

    /// <summary>The user left (or was kicked out of) <see cref="ChatBusMessage.Room"/>, <see cref="ChatBusMessage.Text"/> the reason.</summary>
    Part,

    /// <summary>The user quit; published to each of its rooms, <see cref="ChatBusMessage.Room"/> the one it went to.</summary>
    Quit,

    /// <summary>The user is now <see cref="ChatBusMessage.Target"/>; published to each of its rooms.</summary>
    Nick,

    /// <summary>A node's members of <see cref="ChatBusMessage.Room"/>, in answer to a join or a sync from a node it did not know there.</summary>
    Members,

    /// <summary>A node's members of <see cref="ChatBusMessage.Room"/>, asking every other node there to answer with its own.</summary>
    Sync,
}
