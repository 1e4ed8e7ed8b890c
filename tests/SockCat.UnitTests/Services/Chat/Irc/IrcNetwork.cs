using System.Net;
using Microsoft.Extensions.Time.Testing;
using SockCat.Services.Chat;
using SockCat.Testing;

namespace SockCat.UnitTests.Services.Chat.Irc;

/// <summary>
/// A hub with IRC clients on in-memory connections, for scripted sessions without sockets: the test plays every client
/// and the loops (posted deliveries run in <see cref="Pump"/>), and the keep-alive runs on a clock it advances by hand.
/// </summary>
internal sealed class IrcNetwork
{
    private readonly List<IrcTestClient> _clients = [];
    private long _nextId = 1;

    public IrcNetwork(ChatOptions? chat = null, IrcOptions? irc = null, TimeSpan? registrationTimeout = null)
    {
        Hub = new ChatHub(chat);
        Service = new ChatService(Hub, new ChatServiceOptions
        {
            Protocol = ChatProtocolMode.Irc,
            TimeProvider = Time,
            Irc = irc ?? new IrcOptions(),
            RegistrationTimeout = registrationTimeout ?? TimeSpan.FromSeconds(60),
        });
    }

    public FakeTimeProvider Time { get; } = new();

    public ChatHub Hub { get; }

    public ChatService Service { get; }

    /// <summary>A connected client that has sent nothing yet.</summary>
    public IrcTestClient Connect()
    {
        var id = _nextId++;
        // Through the service's own factory, as a server makes it: the protocol selector hosting IRC (an IRC-only listener).
        var connection = new InMemoryConnection(Service.CreateProtocol, id)
        {
            RemoteEndPoint = new IPEndPoint(IPAddress.Loopback, 50000 + (int)id),
        };
        var client = new IrcTestClient(this, connection);
        _clients.Add(client);
        connection.Connect();
        return client;
    }

    /// <summary>A client registered as <paramref name="nick"/> (user name the same), its welcome burst taken.</summary>
    public IrcTestClient Register(string nick)
    {
        var client = Connect();
        client.Send($"NICK {nick}", $"USER {nick} 0 * :{nick} Real");
        Assert.Contains(client.Take(), l => l.StartsWith($":sockcat 001 {nick} ", StringComparison.Ordinal));
        return client;
    }

    /// <summary>Runs every posted delivery, on every connection, until none is left.</summary>
    public void Pump()
    {
        bool ran;
        do
        {
            ran = false;
            foreach (var client in _clients)
            {
                ran |= client.Connection.RunPosted() > 0;
            }
        }
        while (ran);
    }

    /// <summary>Moves the clock (the keep-alive sweep runs on it), then runs what the sweep posted.</summary>
    public void Advance(TimeSpan by)
    {
        // In steps of the sweep's period at most, as time passes for a real timer.
        var step = TimeSpan.FromMilliseconds(250);
        for (var passed = TimeSpan.Zero; passed < by; passed += step)
        {
            Time.Advance(step);
            Pump();
        }
    }
}

/// <summary>One IRC client of an <see cref="IrcNetwork"/>: sends lines, takes the lines the server wrote since last time.</summary>
internal sealed class IrcTestClient(IrcNetwork network, InMemoryConnection connection)
{
    private int _read;

    public InMemoryConnection Connection { get; } = connection;

    /// <summary>Sends each line with CRLF, then lets every delivery run.</summary>
    public IrcTestClient Send(params string[] lines)
    {
        foreach (var line in lines)
        {
            Connection.Send(line + "\r\n");
        }

        network.Pump();
        return this;
    }

    /// <summary>The lines received since the last call, without CRLF; each must have ended with CRLF.</summary>
    public List<string> Take()
    {
        var text = Connection.OutputText;
        var fresh = text[_read..];
        _read = text.Length;
        Assert.True(fresh.Length == 0 || fresh.EndsWith("\r\n", StringComparison.Ordinal), $"an unterminated line: {fresh}");
        return [.. fresh.Split("\r\n", StringSplitOptions.RemoveEmptyEntries)];
    }

    /// <summary>Sends <paramref name="line"/> and returns the one line it was answered with.</summary>
    public string Ask(string line)
    {
        Take();
        Send(line);
        return Assert.Single(Take());
    }
}
