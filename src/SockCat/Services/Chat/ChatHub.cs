using System.Collections.Concurrent;
using SockCat.Server;

namespace SockCat.Services.Chat;

/// <summary>
/// The chat service's core: users with unique nicknames (compared as IRC does, <c>CASEMAPPING=rfc1459</c>), rooms (public,
/// invite-only, keyed), topics, private messages, and the notices they cause. It knows nothing of wire protocols: the line
/// protocol and IRC are adapters over it, so a telnet user and an IRC user share rooms and see each other. Use one hub per
/// server, shared by every listener and protocol on it.
/// <para>
/// How a protocol plugs in (the contract the hub's internal operations keep): on registration the protocol calls
/// <c>Register</c> with its connection and an <c>IChatClient</c> sink, and gets a <c>ChatUser</c>; it then calls the
/// operations (join, part, send, topic, kick, invite, mode, nick, quit) on its own connection thread, and words each
/// <c>ChatResult</c> its own way. Events reach each user's sink on the user's own thread: other users' through the
/// connection's post (one drain per burst, no lock held while writing), its own inline before the operation returns.
/// Each event is rendered once per protocol (<c>ChatRenderer</c>) and the bytes shared by every recipient of that
/// protocol, so fan-out allocates nothing per member. A slow reader is cut by the server's slow-consumer rule; its
/// protocol calls <c>CutSlowConsumer</c> and the user's rooms see it quit with the reason.
/// </para>
/// </summary>
public sealed partial class ChatHub
{
    // Every change of users, rooms and membership is made under this lock; readers (a sender's fan-out, a member list)
    // read snapshots without it. Changes are rare beside messages, which take no lock at all.
    private readonly Lock _lock = new();
    private readonly ConcurrentDictionary<string, ChatUser> _users = new(ChatNames.Comparer);
    private readonly ConcurrentDictionary<string, ChatRoom> _rooms = new(ChatNames.Comparer);
    private long _messages;
    private long _deliveries;
    private long _slowConsumersCut;
    private long _floodDisconnects;
    private long _userIds;

    /// <summary>
    /// Creates an empty hub. With <paramref name="bus"/>, the hub is one node of a chat joined through it: room messages,
    /// private messages, members and nicks reach the users of the other nodes (see <see cref="IChatBus"/>); without, it
    /// serves its own users alone.
    /// </summary>
    /// <param name="options">The hub's rules; defaults to <see cref="ChatOptions"/>' defaults.</param>
    /// <param name="bus">What joins this hub to the others; null (the default): none.</param>
    public ChatHub(ChatOptions? options = null, IChatBus? bus = null)
    {
        Options = options ?? new ChatOptions();
        ArgumentOutOfRangeException.ThrowIfLessThan(Options.MaxNickLength, 1, nameof(ChatOptions.MaxNickLength));
        ArgumentOutOfRangeException.ThrowIfLessThan(Options.MaxRoomNameLength, 2, nameof(ChatOptions.MaxRoomNameLength));
        ArgumentOutOfRangeException.ThrowIfLessThan(Options.FloodBurst, 1, nameof(ChatOptions.FloodBurst));
        ArgumentOutOfRangeException.ThrowIfNegative(Options.FloodMessagesPerSecond, nameof(ChatOptions.FloodMessagesPerSecond));
        Created = DateTimeOffset.UtcNow;
        ServerUser = new ChatUser(this, Options.ServerName, Options.ServerName, Options.ServerName);
        if (bus is not null)
        {
            _bus = bus;
            BusReceiver = new Receiver(this);
            bus.Attach(BusReceiver);
        }
    }

    /// <summary>The rules the hub was created with.</summary>
    public ChatOptions Options { get; }

    /// <summary>When the hub was created (IRC 003).</summary>
    public DateTimeOffset Created { get; }

    /// <summary>Users registered now.</summary>
    public int UserCount => _users.Count;

    /// <summary>Rooms that exist now (those with at least one member).</summary>
    public int RoomCount => _rooms.Count;

    /// <summary>Messages, actions and notices accepted, to rooms or users (counted once per message, not per recipient).</summary>
    public long MessagesSent => Interlocked.Read(ref _messages);

    /// <summary>Events queued to recipients (one per recipient): the fan-out's work.</summary>
    public long Deliveries => Interlocked.Read(ref _deliveries);

    /// <summary>Users cut because they did not read what was sent to them (the server's slow-consumer rule).</summary>
    public long SlowConsumersCut => Interlocked.Read(ref _slowConsumersCut);

    /// <summary>Users disconnected for flooding.</summary>
    public long FloodDisconnects => Interlocked.Read(ref _floodDisconnects);

    /// <summary>The user with <paramref name="nick"/> (in any case), or null.</summary>
    internal ChatUser? FindUser(string nick) => _users.TryGetValue(nick, out var user) ? user : null;

    /// <summary>The room named <paramref name="name"/> (with its <c>#</c>, in any case), or null.</summary>
    internal ChatRoom? FindRoom(string name) => _rooms.TryGetValue(name, out var room) ? room : null;

    /// <summary>Every user now, in no order.</summary>
    internal IReadOnlyCollection<ChatUser> Users => [.. _users.Values];

    /// <summary>
    /// The rooms <paramref name="viewer"/> may see listed, by name: every public room, and the private ones (keyed or
    /// invite-only) it is in. Null: public rooms only.
    /// </summary>
    internal IReadOnlyList<ChatRoom> ListRooms(ChatUser? viewer) =>
        [.. _rooms.Values.Where(r => !r.IsPrivate || viewer is not null && r.HasMember(viewer)).OrderBy(r => r.Name, ChatNames.Comparer)];

    /// <summary>
    /// Registers a user with <paramref name="nick"/>; <paramref name="client"/> receives its events on
    /// <paramref name="connection"/>'s thread. NickInvalid or NickInUse leave nothing registered.
    /// </summary>
    /// <param name="connection">The user's connection: events are posted to it.</param>
    /// <param name="client">The protocol's sink for the user's events.</param>
    /// <param name="nick">The nick asked for.</param>
    /// <param name="user">The new user, when Ok.</param>
    /// <param name="userName">IRC's user name; defaults to the nick.</param>
    /// <param name="realName">IRC's real name; defaults to empty.</param>
    internal ChatResult Register(IConnection connection, IChatClient client, string nick, out ChatUser? user, string? userName = null, string? realName = null)
    {
        user = null;
        if (!ChatNames.IsValidNick(nick, Options.MaxNickLength))
        {
            return ChatResult.NickInvalid;
        }

        var made = new ChatUser(this, connection, client, nick, userName ?? nick, ChatText.Clean(realName ?? ""));
        lock (_lock)
        {
            if (!_users.TryAdd(nick, made))
            {
                return ChatResult.NickInUse;
            }

            _bus?.ClaimNick(ChatNames.Fold(nick));
        }

        user = made;
        if (_bus is { IsConnected: false })
        {
            // Those here when the link dropped were told then; a newcomer is told on arrival.
            Notify(made, LinkDown);
        }

        return ChatResult.Ok;
    }

    /// <summary>Changes <paramref name="user"/>'s nick; everyone sharing a room with it, and itself, gets a Nick event.</summary>
    internal ChatResult ChangeNick(ChatUser user, string nick)
    {
        if (!ChatNames.IsValidNick(nick, Options.MaxNickLength))
        {
            return ChatResult.NickInvalid;
        }

        ChatEvent e;
        lock (_lock)
        {
            if (!user.IsRegistered)
            {
                return ChatResult.NotRegistered;
            }

            var old = user.Nick;
            if (old == nick)
            {
                return ChatResult.Ok;
            }

            if (_users.TryGetValue(nick, out var holder) && !ReferenceEquals(holder, user))
            {
                return ChatResult.NickInUse;
            }

            e = ChatEvent.Rent(ChatEventKind.Nick, user, null).WithNewNick(nick);
            _users.TryRemove(old, out _);
            _users[nick] = user;
            user.SetNick(nick);
            if (_bus is { } bus && !ChatNames.Comparer.Equals(old, nick))
            {
                bus.ClaimNick(ChatNames.Fold(nick));
                bus.ReleaseNick(ChatNames.Fold(old));
            }

            PublishToRooms(ChatBusMessageKind.Nick, user, old, nick, "");
        }

        DeliverToNeighbours(e, user, includeSelf: true);
        return ChatResult.Ok;
    }

    /// <summary>
    /// Unregisters <paramref name="user"/>: it leaves every room, its nick is free, and each user who shared a room with it
    /// gets one Quit event with <paramref name="reason"/>. Idempotent; call it from the protocol's <c>OnClosed</c> at the latest.
    /// </summary>
    internal void Quit(ChatUser user, string reason)
    {
        ChatEvent e;
        HashSet<ChatUser> neighbours;
        lock (_lock)
        {
            if (!user.IsRegistered)
            {
                return;
            }

            e = ChatEvent.Rent(ChatEventKind.Quit, user, null).WithText(Cut(ChatText.Clean(reason), Options.MaxReasonLength));
            neighbours = Neighbours(user);
            PublishToRooms(ChatBusMessageKind.Quit, user, user.Nick, null, e.Text);
            _bus?.ReleaseNick(ChatNames.Fold(user.Nick));
            foreach (var room in user.RoomArray)
            {
                RemoveMember(room, user);
            }

            foreach (var room in user.InvitedTo)
            {
                room.Invited.Remove(user);
            }

            user.InvitedTo.Clear();
            user.RoomArray = [];
            _users.TryRemove(new KeyValuePair<string, ChatUser>(user.Nick, user));
            user.MarkGone();
        }

        foreach (var neighbour in neighbours)
        {
            neighbour.Enqueue(e);
        }

        Interlocked.Add(ref _deliveries, neighbours.Count);
        e.Release();
    }

    /// <summary>
    /// For a protocol's <c>OnSlowConsumer</c>: quits <paramref name="user"/> with a reason that says it was cut for not
    /// reading (its rooms are told), and counts it.
    /// </summary>
    internal void CutSlowConsumer(ChatUser user, int limitBytes)
    {
        Interlocked.Increment(ref _slowConsumersCut);
        Quit(user, $"cut: not reading (send queue over {limitBytes / 1024} KiB)");
    }

    /// <summary>For a protocol that disconnects a user after <see cref="ChatResult.FloodDisconnect"/>: quits it with "Excess Flood".</summary>
    internal void QuitFlooding(ChatUser user)
    {
        Interlocked.Increment(ref _floodDisconnects);
        Quit(user, "Excess Flood");
    }

    /// <summary>
    /// Joins <paramref name="user"/> to <paramref name="roomName"/> (with its <c>#</c>), making the room, with the user as its
    /// operator, if it does not exist. Every member, the joiner first and inline, gets a Join event; then the protocol
    /// writes what it shows on joining (topic, names) from <paramref name="room"/>.
    /// </summary>
    internal ChatResult Join(ChatUser user, string roomName, string? key, out ChatRoom? room)
    {
        room = null;
        if (!ChatNames.IsValidRoom(roomName, Options.MaxRoomNameLength))
        {
            return ChatResult.RoomInvalid;
        }

        ChatMember[] members;
        lock (_lock)
        {
            if (!user.IsRegistered)
            {
                return ChatResult.NotRegistered;
            }

            var created = false;
            if (!_rooms.TryGetValue(roomName, out var existing))
            {
                existing = new ChatRoom(roomName);
                created = true;
            }
            else if (existing.HasMember(user))
            {
                room = existing;
                return ChatResult.AlreadyInRoom;
            }

            if (user.RoomArray.Length >= Options.MaxRoomsPerUser)
            {
                return ChatResult.TooManyRooms;
            }

            if (!created)
            {
                if (existing.IsInviteOnly && !existing.Invited.Contains(user))
                {
                    return ChatResult.InviteOnly;
                }

                if (existing.Key is { } roomKey && roomKey != key)
                {
                    return ChatResult.BadKey;
                }

                if (existing.MemberCount >= Options.MaxRoomMembers)
                {
                    return ChatResult.RoomFull;
                }
            }
            else
            {
                _rooms[roomName] = existing;
                _bus?.Subscribe(ChatNames.Fold(roomName));
            }

            existing.Invited.Remove(user);
            user.InvitedTo.Remove(existing);
            existing.MemberArray = members = [.. existing.MemberArray, new ChatMember(user, created)];
            user.RoomArray = [.. user.RoomArray, existing];
            room = existing;
            Publish(ChatBusMessageKind.Join, user, existing, "");
        }

        Deliver(ChatEvent.Rent(ChatEventKind.Join, user, room), members, user, includeActor: true);
        return ChatResult.Ok;
    }

    /// <summary>Takes <paramref name="user"/> out of a room; every member, the leaver too (inline), gets a Part event.</summary>
    internal ChatResult Part(ChatUser user, string roomName, string reason)
    {
        ChatMember[] members;
        ChatRoom? room;
        lock (_lock)
        {
            room = FindRoom(roomName);
            if (room is null)
            {
                return ChatResult.NoSuchRoom;
            }

            members = room.MemberArray;
            if (!room.HasMember(user))
            {
                return ChatResult.NotInRoom;
            }

            Publish(ChatBusMessageKind.Part, user, room, Cut(ChatText.Clean(reason), Options.MaxReasonLength));
            RemoveMember(room, user);
            user.RoomArray = [.. user.RoomArray.Where(r => !ReferenceEquals(r, room))];
        }

        Deliver(ChatEvent.Rent(ChatEventKind.Part, user, room).WithText(Cut(ChatText.Clean(reason), Options.MaxReasonLength)), members, user, includeActor: true);
        return ChatResult.Ok;
    }

    /// <summary>
    /// Sends <paramref name="text"/> to every other member of a room. NoText, NoSuchRoom, CannotSendToRoom (+n, not a
    /// member), or Flooding / FloodDisconnect (dropped: see <see cref="ChatOptions.FloodMessagesPerSecond"/>).
    /// </summary>
    internal ChatResult SendToRoom(ChatUser user, string roomName, ChatMessageKind kind, string text)
    {
        if (text.Length == 0)
        {
            return ChatResult.NoText;
        }

        var room = FindRoom(roomName);
        if (room is null)
        {
            return ChatResult.NoSuchRoom;
        }

        if (!user.IsRegistered)
        {
            return ChatResult.NotRegistered;
        }

        if (room.IsNoExternalMessages && !user.IsIn(room))
        {
            return ChatResult.CannotSendToRoom;
        }

        var flood = user.TakeFloodToken();
        if (flood != ChatResult.Ok)
        {
            return flood;
        }

        Interlocked.Increment(ref _messages);
        if (_bus is { IsConnected: true } bus)
        {
            // Through the bus even for this node's members: every node then delivers the room's messages in the bus's order.
            bus.PublishToRoom(ChatNames.Fold(room.Name), BusMessage(ChatBusMessageKind.RoomMessage, user, user.Nick, room.Name, null, ChatText.Clean(text), kind));
            return ChatResult.Ok;
        }

        Deliver(ChatEvent.Rent(ChatEventKind.Message, user, room).WithMessage(kind, ChatText.Clean(text), null), room.MemberArray, user, includeActor: false);
        return ChatResult.Ok;
    }

    /// <summary>
    /// What a private message must pass, to a user on this node or another: text, a registered sender, and a flood
    /// token (taken only when the rest holds).
    /// </summary>
    private static ChatResult MaySendPrivately(ChatUser user, string text)
    {
        if (text.Length == 0)
        {
            return ChatResult.NoText;
        }

        if (!user.IsRegistered)
        {
            return ChatResult.NotRegistered;
        }

        return user.TakeFloodToken();
    }

    /// <summary>Sends <paramref name="text"/> privately to the user with <paramref name="nick"/>; NoSuchNick, NoText, Flooding...</summary>
    /// <param name="user">The sender.</param>
    /// <param name="nick">The recipient's nick.</param>
    /// <param name="kind">Message, action or notice.</param>
    /// <param name="text">The text.</param>
    /// <param name="target">The recipient, when found (its <see cref="ChatUser.Away"/> for IRC 301).</param>
    internal ChatResult SendToUser(ChatUser user, string nick, ChatMessageKind kind, string text, out ChatUser? target)
    {
        target = FindUser(nick);
        if (target is null)
        {
            return SendToRemoteUser(user, nick, kind, text, out target);
        }

        var may = MaySendPrivately(user, text);
        if (may != ChatResult.Ok)
        {
            return may;
        }

        Interlocked.Increment(ref _messages);
        Interlocked.Increment(ref _deliveries);
        var e = ChatEvent.Rent(ChatEventKind.Message, user, null).WithMessage(kind, ChatText.Clean(text), target.Nick);
        if (ReferenceEquals(target, user))
        {
            user.DeliverNow(e);
        }
        else
        {
            target.Enqueue(e);
        }

        e.Release();
        return ChatResult.Ok;
    }

    /// <summary>
    /// Sets a room's topic (empty clears it; cut at <see cref="ChatOptions.MaxTopicLength"/>). NoSuchRoom, NotInRoom, or
    /// NotOperator when the topic is locked (+t). Every member, the setter too (inline), gets a Topic event.
    /// </summary>
    internal ChatResult SetTopic(ChatUser user, string roomName, string topic)
    {
        ChatMember[] members;
        ChatRoom? room;
        topic = Cut(ChatText.Clean(topic), Options.MaxTopicLength);
        lock (_lock)
        {
            room = FindRoom(roomName);
            if (room is null)
            {
                return ChatResult.NoSuchRoom;
            }

            if (!room.HasMember(user))
            {
                return ChatResult.NotInRoom;
            }

            if (room.IsTopicLocked && !room.IsOperator(user))
            {
                return ChatResult.NotOperator;
            }

            room.SetTopic(topic, user.Nick);
            members = room.MemberArray;
        }

        Deliver(ChatEvent.Rent(ChatEventKind.Topic, user, room).WithText(topic), members, user, includeActor: true);
        return ChatResult.Ok;
    }

    /// <summary>
    /// An operator puts <paramref name="nick"/> out of a room. NoSuchRoom, NotInRoom, NotOperator, NoSuchNick,
    /// TargetNotInRoom. Every member, the kicked user too, gets a Kick event (the kicker inline).
    /// </summary>
    internal ChatResult Kick(ChatUser user, string roomName, string nick, string reason)
    {
        ChatMember[] members;
        ChatRoom? room;
        ChatUser? target;
        lock (_lock)
        {
            room = FindRoom(roomName);
            if (room is null)
            {
                return ChatResult.NoSuchRoom;
            }

            if (!room.HasMember(user))
            {
                return ChatResult.NotInRoom;
            }

            if (!room.IsOperator(user))
            {
                return ChatResult.NotOperator;
            }

            target = FindUser(nick);
            if (target is null)
            {
                return ChatResult.NoSuchNick;
            }

            if (!room.HasMember(target))
            {
                return ChatResult.TargetNotInRoom;
            }

            members = room.MemberArray;
            Publish(ChatBusMessageKind.Part, target, room, Cut($"kicked by {user.Nick}: {ChatText.Clean(reason)}", Options.MaxReasonLength));
            RemoveMember(room, target);
            target.RoomArray = [.. target.RoomArray.Where(r => !ReferenceEquals(r, room))];
        }

        Deliver(ChatEvent.Rent(ChatEventKind.Kick, user, room).WithTarget(target.Nick, Cut(ChatText.Clean(reason), Options.MaxReasonLength)), members, user, includeActor: true);
        return ChatResult.Ok;
    }

    /// <summary>
    /// Invites <paramref name="nick"/> to a room, which lets it join past +i. NoSuchNick, NoSuchRoom, NotInRoom (the
    /// inviter), TargetInRoom, NotOperator (an invite-only room's invitations are its operators'). The invited user gets
    /// an Invite event; the inviter's protocol confirms itself (IRC 341).
    /// </summary>
    internal ChatResult Invite(ChatUser user, string nick, string roomName)
    {
        ChatUser? target;
        ChatRoom? room;
        lock (_lock)
        {
            target = FindUser(nick);
            if (target is null)
            {
                return ChatResult.NoSuchNick;
            }

            room = FindRoom(roomName);
            if (room is null)
            {
                return ChatResult.NoSuchRoom;
            }

            if (!room.HasMember(user))
            {
                return ChatResult.NotInRoom;
            }

            if (room.HasMember(target))
            {
                return ChatResult.TargetInRoom;
            }

            if (room.IsInviteOnly && !room.IsOperator(user))
            {
                return ChatResult.NotOperator;
            }

            room.Invited.Add(target);
            target.InvitedTo.Add(room);
        }

        var e = ChatEvent.Rent(ChatEventKind.Invite, user, room).WithTarget(target.Nick, "");
        if (ReferenceEquals(target, user))
        {
            user.DeliverNow(e);
        }
        else
        {
            target.Enqueue(e);
        }

        e.Release();
        return ChatResult.Ok;
    }

    /// <summary>
    /// An operator sets (<paramref name="on"/>) or unsets a room mode: <c>k</c> key (<paramref name="argument"/> the key when
    /// setting), <c>i</c> invite-only, <c>t</c> topic lock, <c>n</c> no external messages, <c>o</c> operator
    /// (<paramref name="argument"/> the nick). NoSuchRoom, NotOperator, UnknownMode, MissingArgument, NoSuchNick,
    /// TargetNotInRoom. A change (not a mode already so) sends every member, the setter too (inline), a Mode event.
    /// </summary>
    internal ChatResult SetMode(ChatUser user, string roomName, char mode, bool on, string? argument)
    {
        ChatMember[] members;
        ChatRoom? room;
        string? shown = null;
        lock (_lock)
        {
            room = FindRoom(roomName);
            if (room is null)
            {
                return ChatResult.NoSuchRoom;
            }

            if (!room.IsOperator(user))
            {
                return room.HasMember(user) ? ChatResult.NotOperator : ChatResult.NotInRoom;
            }

            switch (mode)
            {
                case 'k' when on:
                    if (string.IsNullOrEmpty(argument) || argument.Any(c => c <= ' ' || c == ','))
                    {
                        return ChatResult.MissingArgument;
                    }

                    shown = ChatText.Clean(argument.Length > 23 ? argument[..23] : argument);
                    room.SetKey(shown);
                    break;
                case 'k':
                    if (room.Key is null)
                    {
                        return ChatResult.Ok;
                    }

                    shown = "*";
                    room.SetKey(null);
                    break;
                case 'i':
                    if (room.IsInviteOnly == on)
                    {
                        return ChatResult.Ok;
                    }

                    room.SetInviteOnly(on);
                    break;
                case 't':
                    if (room.IsTopicLocked == on)
                    {
                        return ChatResult.Ok;
                    }

                    room.SetTopicLocked(on);
                    break;
                case 'n':
                    if (room.IsNoExternalMessages == on)
                    {
                        return ChatResult.Ok;
                    }

                    room.SetNoExternalMessages(on);
                    break;
                case 'o':
                    if (string.IsNullOrEmpty(argument))
                    {
                        return ChatResult.MissingArgument;
                    }

                    var target = FindUser(argument);
                    if (target is null)
                    {
                        return ChatResult.NoSuchNick;
                    }

                    var at = room.IndexOf(target);
                    if (at < 0)
                    {
                        return ChatResult.TargetNotInRoom;
                    }

                    var current = room.MemberArray;
                    if (current[at].IsOperator == on)
                    {
                        return ChatResult.Ok;
                    }

                    var changed = current.ToArray();
                    changed[at] = changed[at] with { IsOperator = on };
                    room.MemberArray = changed;
                    shown = target.Nick;
                    break;
                default:
                    return ChatResult.UnknownMode;
            }

            members = room.MemberArray;
        }

        Deliver(ChatEvent.Rent(ChatEventKind.Mode, user, room).WithMode(mode, on, shown), members, user, includeActor: true);
        return ChatResult.Ok;
    }

    /// <summary>Sets (<paramref name="message"/>) or clears (null or empty) <paramref name="user"/>'s away message (IRC AWAY).</summary>
    internal void SetAway(ChatUser user, string? message) =>
        user.SetAway(string.IsNullOrEmpty(message) ? null : Cut(ChatText.Clean(message), Options.MaxReasonLength));

    /// <summary>
    /// Queues <paramref name="e"/> for each of <paramref name="members"/> but the actor, delivers it to the actor inline when
    /// <paramref name="includeActor"/>, and drops the hub's own reference. No lock is held.
    /// </summary>
    private void Deliver(ChatEvent e, ChatMember[] members, ChatUser actor, bool includeActor)
    {
        var queued = 0;
        foreach (var member in members)
        {
            if (!ReferenceEquals(member.User, actor))
            {
                member.User.Enqueue(e);
                queued++;
            }
        }

        Interlocked.Add(ref _deliveries, queued);
        if (includeActor)
        {
            actor.DeliverNow(e);
        }

        e.Release();
    }

    private void DeliverToNeighbours(ChatEvent e, ChatUser user, bool includeSelf)
    {
        HashSet<ChatUser> neighbours;
        lock (_lock)
        {
            neighbours = Neighbours(user);
        }

        foreach (var neighbour in neighbours)
        {
            neighbour.Enqueue(e);
        }

        Interlocked.Add(ref _deliveries, neighbours.Count);
        if (includeSelf)
        {
            user.DeliverNow(e);
        }

        e.Release();
    }

    // Everyone sharing a room with the user, once each, without the user. Under the lock.
    private static HashSet<ChatUser> Neighbours(ChatUser user)
    {
        var set = new HashSet<ChatUser>();
        foreach (var room in user.RoomArray)
        {
            foreach (var member in room.MemberArray)
            {
                if (!ReferenceEquals(member.User, user))
                {
                    set.Add(member.User);
                }
            }
        }

        return set;
    }

    // Under the lock: the member out of the room, and the room gone when it is empty.
    private void RemoveMember(ChatRoom room, ChatUser user)
    {
        var at = room.IndexOf(user);
        if (at < 0)
        {
            return;
        }

        var members = room.MemberArray;
        room.MemberArray = [.. members.AsSpan(0, at), .. members.AsSpan(at + 1)];
        if (room.MemberArray.Length == 0)
        {
            _rooms.TryRemove(new KeyValuePair<string, ChatRoom>(room.Name, room));
            room.RemoteArray = [];
            _bus?.Unsubscribe(ChatNames.Fold(room.Name));
            foreach (var invited in room.Invited)
            {
                invited.InvitedTo.Remove(room);
            }

            room.Invited.Clear();
        }
    }

    private static string Cut(string text, int max) => text.Length <= max ? text : text[..max];
}
