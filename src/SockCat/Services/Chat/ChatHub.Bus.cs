namespace SockCat.Services.Chat;

// The hub as one node of several joined through an IChatBus: what it publishes (what it does with what arrives is in
// ChatHub.BusReceive.cs). Without a bus (_bus null) none of this runs and the hub's paths are the single node's.
public sealed partial class ChatHub
{
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

        var may = MaySendPrivately(user, text);
        if (may != ChatResult.Ok)
        {
            return may;
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
