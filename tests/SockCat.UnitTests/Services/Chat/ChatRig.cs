using Microsoft.Extensions.Time.Testing;
using SockCat.Services.Chat;
using SockCat.Testing;

namespace SockCat.UnitTests.Services.Chat;

/// <summary>A chat service over in-memory connections: the test plays every peer and every loop (posts run when it says).</summary>
internal sealed class ChatRig
{
    private readonly List<ChatPeer> _peers = [];
    private long _nextId = 1;

    public ChatRig(ChatOptions? hub = null, Action<ChatServiceOptions>? configure = null)
    {
        Hub = new ChatHub(hub ?? new ChatOptions());
        var options = new ChatServiceOptions { TimeProvider = Time, Protocol = ChatProtocolMode.Line };
        configure?.Invoke(options);
        Service = new ChatService(Hub, options);
    }

    public FakeTimeProvider Time { get; } = new();

    public ChatHub Hub { get; }

    public ChatService Service { get; }

    /// <summary>A connected peer, its welcome read.</summary>
    public ChatPeer Connect(int maxOutputQueueBytes = 256 * 1024)
    {
        var peer = new ChatPeer(new InMemoryConnection(Service.CreateProtocol, _nextId++, maxOutputQueueBytes));
        _peers.Add(peer);
        peer.Connection.Connect();
        RunPosts();
        peer.Read();
        return peer;
    }

    /// <summary>A peer with <paramref name="nick"/>, in <paramref name="rooms"/>, everything up to now read by everyone.</summary>
    public ChatPeer User(string nick, params string[] rooms)
    {
        var peer = Connect();
        peer.Say($"/nick {nick}");
        foreach (var room in rooms)
        {
            peer.Say($"/join {room}");
        }

        RunPosts();
        foreach (var p in _peers)
        {
            p.Read();
        }

        return peer;
    }

    /// <summary>Runs every peer's posted callbacks until none is left, as the loops would.</summary>
    public void RunPosts()
    {
        bool ran;
        do
        {
            ran = false;
            foreach (var peer in _peers)
            {
                ran |= peer.Connection.RunPosted() > 0;
            }
        }
        while (ran);
    }
}

/// <summary>One in-memory client of a <see cref="ChatRig"/>.</summary>
internal sealed class ChatPeer(InMemoryConnection connection)
{
    private int _read;

    public InMemoryConnection Connection { get; } = connection;

    public void Say(string line) => Connection.Send(line + "\n");

    /// <summary>What arrived since the last read.</summary>
    public string Read()
    {
        var text = Connection.OutputText;
        var fresh = text[_read..];
        _read = text.Length;
        return fresh;
    }
}
