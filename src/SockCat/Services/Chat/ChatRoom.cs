namespace SockCat.Services.Chat;

/// <summary>A member of a <see cref="ChatRoom"/> as the room has it: the user, and whether it is one of the room's operators.</summary>
/// <param name="User">The member.</param>
/// <param name="IsOperator">True for the room's creator and those an operator gave +o.</param>
internal readonly record struct ChatMember(ChatUser User, bool IsOperator);

/// <summary>A member of a room on another node: the node, and the user as this node shows it.</summary>
internal sealed record RemoteMember(string Node, ChatUser User);

/// <summary>
/// A room of a <see cref="ChatHub"/>, made when its first member joins (who becomes its operator) and gone when its last
/// leaves. Readable from any thread: each property is a snapshot; it changes only through the hub's operations.
/// Private rooms are those with a key (+k) or invite-only (+i): a room for two is an invite-only room.
/// </summary>
internal sealed class ChatRoom
{
    private ChatMember[] _members = [];
    private RemoteMember[] _remote = [];
    private string _topic = "";
    private string _topicSetBy = "";
    private DateTimeOffset _topicSetAt;
    private string? _key;
    private bool _inviteOnly;
    private bool _topicLocked = true;
    private bool _noExternalMessages = true;

    internal ChatRoom(string name)
    {
        Name = name;
        CreatedAt = DateTimeOffset.UtcNow;
    }

    /// <summary>The name as its creator spelled it, with its <c>#</c>.</summary>
    public string Name { get; }

    /// <summary>When the room was made (IRC 329).</summary>
    public DateTimeOffset CreatedAt { get; }

    /// <summary>The topic; empty when none is set.</summary>
    public string Topic => Volatile.Read(ref _topic);

    /// <summary>Who set the topic (nick); empty when none is set.</summary>
    public string TopicSetBy => Volatile.Read(ref _topicSetBy);

    /// <summary>When the topic was set (IRC 333).</summary>
    public DateTimeOffset TopicSetAt => _topicSetAt;

    /// <summary>The key (+k), or null when the room has none.</summary>
    public string? Key => Volatile.Read(ref _key);

    /// <summary>Invite-only (+i): only users an operator or member invited may join.</summary>
    public bool IsInviteOnly => _inviteOnly;

    /// <summary>Topic lock (+t, the default): only operators may set the topic.</summary>
    public bool IsTopicLocked => _topicLocked;

    /// <summary>No external messages (+n, the default): only members may send to the room.</summary>
    public bool IsNoExternalMessages => _noExternalMessages;

    /// <summary>True when the room has a key or is invite-only: left out of room lists for those not in it.</summary>
    public bool IsPrivate => _inviteOnly || _key is not null;

    /// <summary>
    /// The members now, in the order they joined: a snapshot. With a bus, the members on other nodes follow this node's
    /// (never operators here: a room's modes are each node's own).
    /// </summary>
    public IReadOnlyList<ChatMember> Members
    {
        get
        {
            var local = Volatile.Read(ref _members);
            var remote = Volatile.Read(ref _remote);
            return remote.Length == 0 ? local : [.. local, .. remote.Select(r => new ChatMember(r.User, false))];
        }
    }

    /// <summary>How many members the room has now, on every node.</summary>
    public int MemberCount => Volatile.Read(ref _members).Length + Volatile.Read(ref _remote).Length;

    // The room's members on other nodes, as their nodes announced them. Written under the hub's lock.
    internal RemoteMember[] RemoteArray
    {
        get => Volatile.Read(ref _remote);
        set => Volatile.Write(ref _remote, value);
    }

    /// <summary>The room's modes as IRC writes them (<c>+itnk</c>, without the key itself).</summary>
    public string ModeString =>
        "+" + (_inviteOnly ? "i" : "") + (_topicLocked ? "t" : "") + (_noExternalMessages ? "n" : "") + (_key is not null ? "k" : "");

    /// <summary>True when <paramref name="user"/> is a member and an operator.</summary>
    public bool IsOperator(ChatUser user)
    {
        foreach (var member in MemberArray)
        {
            if (ReferenceEquals(member.User, user))
            {
                return member.IsOperator;
            }
        }

        return false;
    }

    /// <summary>True when <paramref name="user"/> is a member.</summary>
    public bool HasMember(ChatUser user) => IndexOf(user) >= 0;

    // Users invited since they last joined (by user, so a nick change keeps the invitation). Under the hub's lock.
    internal HashSet<ChatUser> Invited { get; } = [];

    internal ChatMember[] MemberArray
    {
        get => Volatile.Read(ref _members);
        set => Volatile.Write(ref _members, value);
    }

    internal int IndexOf(ChatUser user)
    {
        var members = MemberArray;
        for (var i = 0; i < members.Length; i++)
        {
            if (ReferenceEquals(members[i].User, user))
            {
                return i;
            }
        }

        return -1;
    }

    internal void SetTopic(string topic, string setBy)
    {
        Volatile.Write(ref _topic, topic);
        Volatile.Write(ref _topicSetBy, topic.Length == 0 ? "" : setBy);
        _topicSetAt = DateTimeOffset.UtcNow;
    }

    internal void SetKey(string? key) => Volatile.Write(ref _key, key);

    internal void SetInviteOnly(bool on) => _inviteOnly = on;

    internal void SetTopicLocked(bool on) => _topicLocked = on;

    internal void SetNoExternalMessages(bool on) => _noExternalMessages = on;
}
