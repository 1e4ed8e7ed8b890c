using SockCat.Server;
using SockCat.Services.Chat;
using SockCat.Testing;

namespace SockCat.UnitTests.Services.Chat;

/// <summary>The hub as one node of several, over a recording bus (no Redis): what it publishes and what it does with what arrives.</summary>
public class ChatHubBusTests
{
    [Fact]
    public void Hub_ClaimsNicks_SubscribesRooms_PublishesJoinsAndRoomMessagesThroughTheBus()
    {
        var bus = new RecordingBus();
        var hub = new ChatHub(new ChatOptions { FloodMessagesPerSecond = 0 }, bus);
        var (alice, aliceLog, _) = User(hub, "Alice");
        var (bob, bobLog, bobConnection) = User(hub, "bob");
        hub.Join(alice, "#Lobby", null, out _);
        hub.Join(bob, "#lobby", null, out _);

        Assert.Equal(ChatResult.Ok, hub.SendToRoom(alice, "#lobby", ChatMessageKind.Message, "hello"));
        bobConnection.RunPosted();

        // Not delivered at once: the room's message goes round the bus, so every node delivers it in one order.
        Assert.DoesNotContain(bobLog, l => l.StartsWith("Message", StringComparison.Ordinal));
        Assert.Equal(["claim alice", "claim bob", "subscribe #lobby", "room #lobby Join Alice", "room #lobby Join bob", "room #lobby RoomMessage Alice hello"], bus.Calls);

        // Back from the bus: to every member of this node but its sender.
        hub.BusReceiver!.OnMessage(bus.Published[^1]);
        bobConnection.RunPosted();
        Assert.Equal("Message#Lobby Alice Message hello", bobLog[^1]);
        Assert.DoesNotContain(aliceLog, l => l.StartsWith("Message", StringComparison.Ordinal));

        hub.Quit(alice, "bye");
        hub.Part(bob, "#lobby", "");
        Assert.Equal(["room #lobby Quit Alice bye", "release alice", "room #lobby Part bob", "unsubscribe #lobby"], bus.Calls[6..]);
    }

    [Fact]
    public void RemoteMembers_JoinSpeakPrivateAndQuit_SeenByLocalUsers_InMemberLists()
    {
        var bus = new RecordingBus();
        var hub = new ChatHub(new ChatOptions { FloodMessagesPerSecond = 0 }, bus);
        var (alice, aliceLog, aliceConnection) = User(hub, "alice");
        hub.Join(alice, "#lobby", null, out var room);
        bus.Calls.Clear();

        hub.BusReceiver!.OnMessage(Remote(ChatBusMessageKind.Join, "carol", "#lobby"));
        hub.BusReceiver!.OnMessage(Remote(ChatBusMessageKind.RoomMessage, "carol", "#lobby", "hi all"));
        aliceConnection.RunPosted();

        Assert.Equal(["Join carol #lobby", "Message#lobby carol Message hi all"], aliceLog[^2..]);
        Assert.Equal(["alice", "carol"], room!.Members.Select(m => m.User.Nick));
        // A node new to the room is told who is here.
        Assert.Equal(["room #lobby Members alice"], bus.Calls);

        hub.BusReceiver!.OnMessage(Remote(ChatBusMessageKind.Quit, "carol", "#lobby", "gone"));
        aliceConnection.RunPosted();
        Assert.Equal("Quit carol gone", aliceLog[^1]);
        Assert.Equal(["alice"], room.Members.Select(m => m.User.Nick));
    }

    [Fact]
    public void PrivateMessage_ToUserOfAnotherNode_PublishedToItsNick_OneArrivingDelivered()
    {
        var bus = new RecordingBus();
        var hub = new ChatHub(new ChatOptions { FloodMessagesPerSecond = 0 }, bus);
        var (alice, aliceLog, aliceConnection) = User(hub, "alice");
        bus.Calls.Clear();

        Assert.Equal(ChatResult.Ok, hub.SendToUser(alice, "Carol", ChatMessageKind.Message, "psst", out var target));
        Assert.Equal("Carol", target!.Nick);
        Assert.Equal(["user carol PrivateMessage alice psst"], bus.Calls);

        hub.BusReceiver!.OnMessage(new ChatBusMessage { Kind = ChatBusMessageKind.PrivateMessage, Node = "other", Nick = "carol", Target = "alice", Text = "back" });
        aliceConnection.RunPosted();
        Assert.Equal("Message- carol Message back", aliceLog[^1]);

        bus.IsConnected = false;
        Assert.Equal(ChatResult.NoSuchNick, hub.SendToUser(alice, "carol", ChatMessageKind.Message, "psst", out _));
    }

    [Fact]
    public void NickHeldByAnotherNode_UserRenamedOnItsOwnThread_AndTold()
    {
        var bus = new RecordingBus();
        var hub = new ChatHub(new ChatOptions { FloodMessagesPerSecond = 0 }, bus);
        var (alice, aliceLog, aliceConnection) = User(hub, "Alice");

        hub.BusReceiver!.OnNickRefused("alice");
        Assert.Equal("Alice", alice.Nick);   // not until the user's own thread runs the rename
        aliceConnection.RunPosted();
        aliceConnection.RunPosted();

        Assert.StartsWith("Alice-", alice.Nick, StringComparison.Ordinal);
        Assert.Contains($"Nick Alice {alice.Nick}", aliceLog);
        Assert.Equal($"Message- sockcat Notice the nick Alice is taken on another chat node; you are now {alice.Nick}", aliceLog[^1]);
        Assert.Contains($"claim {alice.Nick.ToLowerInvariant()}", bus.Calls);
    }

    [Fact]
    public void BusLost_UsersToldOnce_RoomMessagesDeliveredLocally_RemoteMembersDropped()
    {
        var bus = new RecordingBus();
        var hub = new ChatHub(new ChatOptions { FloodMessagesPerSecond = 0 }, bus);
        var (alice, _, _) = User(hub, "alice");
        var (bob, bobLog, bobConnection) = User(hub, "bob");
        hub.Join(alice, "#lobby", null, out var room);
        hub.Join(bob, "#lobby", null, out _);
        hub.BusReceiver!.OnMessage(Remote(ChatBusMessageKind.Join, "carol", "#lobby"));

        bus.IsConnected = false;
        hub.BusReceiver!.OnConnectionChanged(false, "SocketClosed");
        hub.SendToRoom(alice, "#lobby", ChatMessageKind.Message, "still here");
        bobConnection.RunPosted();

        Assert.Single(bobLog, l => l.Contains("the link to the other chat nodes is down", StringComparison.Ordinal));
        Assert.Equal("Message#lobby alice Message still here", bobLog[^1]);
        Assert.Equal(["alice", "bob"], room!.Members.Select(m => m.User.Nick));
        var (_, daveLog, daveConnection) = User(hub, "dave");
        daveConnection.RunPosted();
        Assert.Contains(daveLog, l => l.Contains("the link to the other chat nodes is down", StringComparison.Ordinal));

        bus.IsConnected = true;
        bus.Calls.Clear();
        hub.BusReceiver!.OnConnectionChanged(true, null);
        bobConnection.RunPosted();
        Assert.Contains("the link to the other chat nodes is back", bobLog[^1], StringComparison.Ordinal);
        Assert.Equal(["room #lobby Sync alice bob"], bus.Calls);
    }

    private static ChatBusMessage Remote(ChatBusMessageKind kind, string nick, string? room, string text = "") =>
        new() { Kind = kind, Node = "other", Nick = nick, UserName = nick, Host = "10.0.0.9", Room = room, Text = text, Target = kind == ChatBusMessageKind.PrivateMessage ? "alice" : null };

    private static (ChatUser User, List<string> Log, InMemoryConnection Connection) User(ChatHub hub, string nick)
    {
        var log = new List<string>();
        var connection = new InMemoryConnection(new NullProtocol());
        connection.Connect();
        Assert.Equal(ChatResult.Ok, hub.Register(connection, new RecordingClient(log), nick, out var user));
        return (user!, log, connection);
    }

    private sealed class NullProtocol : IConnectionProtocol
    {
        public int OnReceived(IConnection connection, ReadOnlySpan<byte> data) => data.Length;
    }

    private sealed class RecordingClient(List<string> log) : IChatClient
    {
        public void OnChatEvent(ChatUser self, ChatEvent e) => log.Add(e.Kind switch
        {
            ChatEventKind.Message => $"Message{e.Room?.Name ?? "-"} {e.SourceNick} {e.MessageKind} {e.Text}",
            ChatEventKind.Nick => $"Nick {e.SourceNick} {e.NewNick}",
            ChatEventKind.Quit => $"Quit {e.SourceNick} {e.Text}",
            _ => $"{e.Kind} {e.SourceNick} {e.Room?.Name}",
        });
    }

    // Records each call in a line; publishes nothing anywhere (the test hands messages back to the hub itself).
    private sealed class RecordingBus : IChatBus
    {
        public List<string> Calls { get; } = [];

        public List<ChatBusMessage> Published { get; } = [];

        public string NodeId => "here";

        public bool IsConnected { get; set; } = true;

        public void Attach(IChatBusReceiver receiver)
        {
        }

        public void Subscribe(string room) => Calls.Add($"subscribe {room}");

        public void Unsubscribe(string room) => Calls.Add($"unsubscribe {room}");

        public void PublishToRoom(string room, ChatBusMessage message)
        {
            Published.Add(message);
            Calls.Add($"room {room} {message.Kind} {(message.Members is { } members ? string.Join(' ', members) : $"{message.Nick} {message.Text}".TrimEnd())}");
        }

        public void PublishToUser(string nick, ChatBusMessage message) => Calls.Add($"user {nick} {message.Kind} {message.Nick} {message.Text}");

        public void ClaimNick(string nick) => Calls.Add($"claim {nick}");

        public void ReleaseNick(string nick) => Calls.Add($"release {nick}");
    }
}
