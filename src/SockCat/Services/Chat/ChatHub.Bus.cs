using SockCat.Server;

namespace SockCat.Services.Chat;

// The hub as one node of several joined through an IChatBus: what it publishes, and what it does with what the other
// nodes publish. Without a bus (_bus null) none of this runs and the hub's paths are the single node's.
public sealed partial class ChatHub
{
    private static readonly Action<IConnection, object?> RenameCallback = static (_, state) =>
    {
        var (user, nick) = ((ChatUser, string))state!;
        user.Hub.RenameRefused(user, nick);
    };

    private readonly IChatBus? _bus;

    // What the bus was given to call (tests drive it directly).
    internal IChatBusReceiver? BusReceiver { get; private set; }

    private const string LinkDown = "the link to the other chat nodes is down: until it is back you reach only the users of this node";
    private const string LinkBack = "the link to the other chat nodes is back: rooms and private messages reach every node again";

    // The server's own voice (its notices to users): a user of no node, named as the server.
    internal ChatUser ServerUser { get; }

    internal long NextUserId() => Interlocked.Increment(ref _userIds);

    private ChatBusMessage BusMessage(ChatBusMessageKind kind, ChatUser user, string nick, string? room, string? target, string text, ChatMessageKind messageKind = ChatMessageKind.Message) => new()
    {
        Kind = kind,
        Node = _bus!.NodeId,
        Room = room,
        Nick = nick,
        UserName = user.UserName,
        Host = user.Host,
        SenderId = user.Id,
        Target = target,
        Text = text,
        MessageKind = messageKind,
    };

    // Under the lock, so a room's membership changes reach the bus in the order they were made.
    private void Publish(ChatBusMessageKind kind, ChatUser user, ChatRoom room, string text)
    {
        _bus?.PublishToRoom(ChatNames.Fold(room.Name), BusMessage(kind, user, user.Nick, room.Name, null, text));
    }

    // A quit or nick change goes to each of the user's rooms: the other nodes know the user only through rooms.
    private void PublishToRooms(ChatBusMessageKind kind, ChatUser user, string nick, string? target, string text)
    {
        if (_bus is not { } bus)
        {
            return;
        }

        foreach (var room in user.RoomArray)
        {
            bus.PublishToRoom(ChatNames.Fold(room.Name), BusMessage(kind, user, nick, room.Name, target, text));
        }
    }

    private void PublishMembers(ChatRoom room, ChatBusMessageKind kind)
    {
        if (_bus is not { } bus)
        {
            return;
        }

        var members = room.MemberArray;
        var nicks = new string[members.Length];
        for (var i = 0; i < members.Length; i++)
        {
            nicks[i] = members[i].User.Nick;
        }

        bus.PublishToRoom(ChatNames.Fold(room.Name), new ChatBusMessage { Kind = kind, Node = bus.NodeId, Room = room.Name, Members = nicks });
    }

    private ChatResult SendToRemoteUser(ChatUser user, string nick, ChatMessageKind kind, string text, out ChatUser? target)
    {
        target = null;
        if (_bus is not { IsConnected: true } bus || !ChatNames.IsValidNick(nick, Options.MaxNickLength))
        {
            return ChatResult.NoSuchNick;
        }

        if (text.Length == 0)
        {
            return ChatResult.NoText;
        }

        if (!user.IsRegistered)
        {
            return ChatResult.NotRegistered;
        }

        var flood = user.TakeFloodToken();
        if (flood != ChatResult.Ok)
        {
            return flood;
        }

        Interlocked.Increment(ref _messages);
        // Whether a node holds the nick is known only when the bus has asked; if none does, the sender is told then.
        bus.PublishToUser(ChatNames.Fold(nick), BusMessage(ChatBusMessageKind.PrivateMessage, user, user.Nick, null, nick, ChatText.Clean(text), kind));
        target = new ChatUser(this, nick, nick, "");
        return ChatResult.Ok;
    }

    /// <summary>Tells <paramref name="user"/> something from the server, as a private notice. Any thread.</summary>
    private void Notify(ChatUser user, string text)
    {
        var e = ChatEvent.Rent(ChatEventKind.Message, ServerUser, null).WithMessage(ChatMessageKind.Notice, text, user.Nick);
        user.Enqueue(e);
        e.Release();
    }

    private static ChatUser? FindRemote(ChatRoom room, string node, string nick)
    {
        foreach (var remote in room.RemoteArray)
        {
            if (remote.Node == node && ChatNames.Comparer.Equals(remote.User.Nick, nick))
            {
                return remote.User;
            }
        }

        return null;
    }

    private void ReceiveRoomMessage(ChatBusMessage m)
    {
        if (m.Room is null || FindRoom(m.Room) is not { } room)
        {
            return;
        }

        var members = room.MemberArray;
        ChatUser? source = null;
        if (m.Node == _bus!.NodeId)
        {
            foreach (var member in members)
            {
                if (member.User.Id == m.SenderId)
                {
                    source = member.User;
                    break;
                }
            }
        }

        source ??= FindRemote(room, m.Node, m.Nick) ?? new ChatUser(this, m.Nick, m.UserName, m.Host);
        Deliver(ChatEvent.Rent(ChatEventKind.Message, source, room).WithMessage(m.MessageKind, m.Text, null), members, source, includeActor: false);
    }

    private void ReceivePrivateMessage(ChatBusMessage m)
    {
        if (m.Target is null || FindUser(m.Target) is not { } target)
        {
            return;
        }

        var e = ChatEvent.Rent(ChatEventKind.Message, new ChatUser(this, m.Nick, m.UserName, m.Host), null).WithMessage(m.MessageKind, m.Text, target.Nick);
        target.Enqueue(e);
        Interlocked.Increment(ref _deliveries);
        e.Release();
    }

    private void ReceiveJoin(ChatBusMessage m)
    {
        ChatRoom? room;
        ChatMember[] members;
        ChatUser ghost;
        bool firstOfNode;
        lock (_lock)
        {
            room = m.Room is null ? null : FindRoom(m.Room);
            if (room is null || FindRemote(room, m.Node, m.Nick) is not null)
            {
                return;
            }

            var remote = room.RemoteArray;
            firstOfNode = !remote.Any(r => r.Node == m.Node);
            ghost = new ChatUser(this, m.Nick, m.UserName, m.Host);
            room.RemoteArray = [.. remote, new RemoteMember(m.Node, ghost)];
            members = room.MemberArray;
        }

        Deliver(ChatEvent.Rent(ChatEventKind.Join, ghost, room), members, ghost, includeActor: false);
        if (firstOfNode)
        {
            // A node new to the room: it learns who is here from this answer, as this node learned of it from its join.
            lock (_lock)
            {
                PublishMembers(room, ChatBusMessageKind.Members);
            }
        }
    }

    private void ReceivePart(ChatBusMessage m)
    {
        ChatRoom? room;
        ChatMember[] members;
        ChatUser? ghost;
        lock (_lock)
        {
            room = m.Room is null ? null : FindRoom(m.Room);
            ghost = room is null ? null : FindRemote(room, m.Node, m.Nick);
            if (ghost is null)
            {
                return;
            }

            room!.RemoteArray = [.. room.RemoteArray.Where(r => !ReferenceEquals(r.User, ghost))];
            members = room.MemberArray;
        }

        Deliver(ChatEvent.Rent(ChatEventKind.Part, ghost, room).WithText(m.Text), members, ghost, includeActor: false);
    }

    // A quit (or a nick change) arrives once per shared room; the first does all, so each local user sees it once.
    private void ReceiveQuitOrNick(ChatBusMessage m)
    {
        ChatUser? ghost = null;
        var neighbours = new HashSet<ChatUser>();
        lock (_lock)
        {
            foreach (var room in _rooms.Values)
            {
                if (FindRemote(room, m.Node, m.Nick) is not { } found)
                {
                    continue;
                }

                ghost = found;
                room.RemoteArray = m.Kind == ChatBusMessageKind.Quit
                    ? [.. room.RemoteArray.Where(r => !ReferenceEquals(r.User, found))]
                    : [.. room.RemoteArray.Select(r => ReferenceEquals(r.User, found) ? new RemoteMember(r.Node, new ChatUser(this, m.Target!, m.UserName, m.Host)) : r)];
                foreach (var member in room.MemberArray)
                {
                    neighbours.Add(member.User);
                }
            }
        }

        if (ghost is null)
        {
            return;
        }

        var e = m.Kind == ChatBusMessageKind.Quit
            ? ChatEvent.Rent(ChatEventKind.Quit, ghost, null).WithText(m.Text)
            : ChatEvent.Rent(ChatEventKind.Nick, ghost, null).WithNewNick(m.Target!);
        DeliverTo(e, neighbours);
    }

    private void ReceiveMembers(ChatBusMessage m, bool answer)
    {
        lock (_lock)
        {
            if (m.Room is null || FindRoom(m.Room) is not { } room)
            {
                return;
            }

            var kept = room.RemoteArray.Where(r => r.Node != m.Node).ToList();
            foreach (var nick in m.Members ?? [])
            {
                kept.Add(new RemoteMember(m.Node, FindRemote(room, m.Node, nick) ?? new ChatUser(this, nick, nick, m.Node)));
            }

            room.RemoteArray = [.. kept];
            if (answer)
            {
                PublishMembers(room, ChatBusMessageKind.Members);
            }
        }
    }

    private void ReceiveNodeSeen()
    {
        lock (_lock)
        {
            foreach (var room in _rooms.Values)
            {
                PublishMembers(room, ChatBusMessageKind.Sync);
            }
        }
    }

    private void ReceiveNodeGone(string node)
    {
        var gone = new Dictionary<string, (ChatUser Ghost, HashSet<ChatUser> Neighbours)>(ChatNames.Comparer);
        lock (_lock)
        {
            foreach (var room in _rooms.Values)
            {
                var remote = room.RemoteArray;
                if (!remote.Any(r => r.Node == node))
                {
                    continue;
                }

                foreach (var r in remote.Where(r => r.Node == node))
                {
                    if (!gone.TryGetValue(r.User.Nick, out var entry))
                    {
                        gone[r.User.Nick] = entry = (r.User, []);
                    }

                    foreach (var member in room.MemberArray)
                    {
                        entry.Neighbours.Add(member.User);
                    }
                }

                room.RemoteArray = [.. remote.Where(r => r.Node != node)];
            }
        }

        foreach (var (ghost, neighbours) in gone.Values)
        {
            DeliverTo(ChatEvent.Rent(ChatEventKind.Quit, ghost, null).WithText("its chat node stopped"), neighbours);
        }
    }

    private void ReceiveConnectionChanged(bool connected)
    {
        if (!connected)
        {
            // The other nodes' members are out of reach until the bus returns; the nodes tell each other again then.
            lock (_lock)
            {
                foreach (var room in _rooms.Values)
                {
                    room.RemoteArray = [];
                }
            }
        }
        else
        {
            ReceiveNodeSeen();
        }

        var text = connected ? LinkBack : LinkDown;
        foreach (var user in _users.Values)
        {
            Notify(user, text);
        }
    }

    private void ReceiveNickRefused(string nick)
    {
        if (FindUser(nick) is { IsRemote: false } user)
        {
            // The rename delivers the user's own Nick event inline, so it runs on the user's own thread.
            user.Connection.Post(RenameCallback, (user, nick), static _ => { });
        }
    }

    private void RenameRefused(ChatUser user, string nick)
    {
        if (!user.IsRegistered || !ChatNames.Comparer.Equals(user.Nick, nick))
        {
            return;
        }

        nick = user.Nick;   // as the user spelled it; the bus has it folded
        var stem = nick.Length > Options.MaxNickLength - 5 ? nick[..Math.Max(1, Options.MaxNickLength - 5)] : nick;
        for (var attempt = 0; attempt < 10; attempt++)
        {
            var guest = $"{stem}-{Random.Shared.Next(1000, 10000)}";
            if (ChangeNick(user, guest) == ChatResult.Ok)
            {
                Notify(user, $"the nick {nick} is taken on another chat node; you are now {guest}");
                return;
            }
        }
    }

    private void ReceiveUndeliverable(ChatBusMessage m)
    {
        if (m.Target is not null && FindUser(m.Nick) is { } sender && sender.Id == m.SenderId)
        {
            Notify(sender, $"{m.Target}: no such nick on any chat node; your message was not delivered");
        }
    }

    private void DeliverTo(ChatEvent e, HashSet<ChatUser> users)
    {
        foreach (var user in users)
        {
            user.Enqueue(e);
        }

        Interlocked.Add(ref _deliveries, users.Count);
        e.Release();
    }

    private sealed class Receiver(ChatHub hub) : IChatBusReceiver
    {
        public void OnMessage(ChatBusMessage message)
        {
            switch (message.Kind)
            {
                case ChatBusMessageKind.RoomMessage:
                    hub.ReceiveRoomMessage(message);
                    return;
                case ChatBusMessageKind.PrivateMessage:
                    hub.ReceivePrivateMessage(message);
                    return;
            }

            if (message.Node == hub._bus!.NodeId)
            {
                return;
            }

            switch (message.Kind)
            {
                case ChatBusMessageKind.Join:
                    hub.ReceiveJoin(message);
                    break;
                case ChatBusMessageKind.Part:
                    hub.ReceivePart(message);
                    break;
                case ChatBusMessageKind.Quit or ChatBusMessageKind.Nick:
                    hub.ReceiveQuitOrNick(message);
                    break;
                case ChatBusMessageKind.Members or ChatBusMessageKind.Sync:
                    hub.ReceiveMembers(message, answer: message.Kind == ChatBusMessageKind.Sync);
                    break;
            }
        }

        public void OnNickRefused(string nick) => hub.ReceiveNickRefused(nick);

        public void OnUndeliverable(ChatBusMessage message) => hub.ReceiveUndeliverable(message);

        public void OnNodeSeen(string node) => hub.ReceiveNodeSeen();

        public void OnNodeGone(string node) => hub.ReceiveNodeGone(node);

        public void OnConnectionChanged(bool connected, string? reason) => hub.ReceiveConnectionChanged(connected);
    }
}
