using SockCat.Server;

namespace SockCat.Services.Chat;

// What the hub does with what the other nodes publish (the bus calls these through Receiver, on its own threads):
// remote members kept per room under the lock, their events delivered to local users through the usual outboxes.
public sealed partial class ChatHub
{
    private static readonly Action<IConnection, object?> RenameCallback = static (_, state) =>
    {
        var (user, nick) = ((ChatUser, string))state!;
        user.Hub.RenameRefused(user, nick);
    };

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
}
