using System.Net;
using System.Net.Sockets;
using System.Net.WebSockets;
using System.Text;
using System.Text.Json;
using SockCat.Endpoints;
using SockCat.IntegrationTests.Web;
using SockCat.Server;
using SockCat.Services.Chat;
using SockCat.Testing;

namespace SockCat.IntegrationTests.Services.Chat;

/// <summary>
/// The chat's browser protocol (docs/chat.md, "Browser") over a raw ClientWebSocket, on one server with a tcp:// listener
/// for line-protocol users: register, join, room and private messages both ways, bad JSON answered with one error and
/// the WebSocket kept, a dropped browser resumed with what was said meanwhile, a browser that does not read cut with its
/// rooms told.
/// </summary>
public sealed class WebChatTests
{
    private sealed class ChatServer : IAsyncDisposable
    {
        public required SockCatServer Server { get; init; }

        public required int TcpPort { get; init; }

        public required int WebPort { get; init; }

        public required ChatHub Hub { get; init; }

        public static async Task<ChatServer> StartAsync(ChatServiceOptions? options = null, ChatOptions? hubOptions = null, int maxSendQueueBytes = 1024 * 1024)
        {
            var chat = new ChatService(new ChatHub(hubOptions), options);
            var serverOptions = new ServerOptions();
            serverOptions.Web.MapRoutes = chat.MapRoutes;
            serverOptions.Web.MaxSendQueueBytes = maxSendQueueBytes;
            var server = new SockCatServer(chat.CreateProtocol, serverOptions);
            var bound = await server.StartAsync([EndpointUrl.Parse("tcp://127.0.0.1:0"), EndpointUrl.Parse("http://127.0.0.1:0/")]);
            return new ChatServer { Server = server, TcpPort = bound[0].Port, WebPort = bound[1].Port, Hub = chat.Hub };
        }

        public async Task<Browser> BrowserAsync(string? nick = null)
        {
            var socket = new ClientWebSocket();
            using var timeout = new CancellationTokenSource(ChatLineClient.Deadline);
            await socket.ConnectAsync(new Uri($"ws://127.0.0.1:{WebPort}/"), timeout.Token);
            var browser = new Browser(socket);
            await browser.ExpectAsync("welcome");
            await browser.ExpectAsync("rooms");
            if (nick is not null)
            {
                await browser.SendAsync(new { type = "hello", nick });
                await browser.ExpectAsync("registered");
            }

            return browser;
        }

        public async Task<ChatLineClient> LineUserAsync(string nick)
        {
            var socket = new Socket(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp) { NoDelay = true };
            await socket.ConnectAsync(new IPEndPoint(IPAddress.Loopback, TcpPort));
            var client = new ChatLineClient(new TestClient(socket, new NetworkStream(socket, ownsSocket: true)), "\n");
            await client.SendAsync($"/nick {nick}");
            await client.ExpectAsync($"you are {nick}");
            return client;
        }

        public ValueTask DisposeAsync() => Server.DisposeAsync();
    }

    /// <summary>A page's side of the protocol: JSON objects out, and the next one of a type in, within the deadline.</summary>
    private sealed class Browser(ClientWebSocket socket) : IDisposable
    {
        private readonly List<string> _seen = [];

        /// <summary>Messages had since "registered" numbered them (as the page counts), to resume with.</summary>
        public long? Received { get; private set; }

        public ClientWebSocket Socket { get; } = socket;

        public Task SendAsync(object request) => SendRawAsync(JsonSerializer.Serialize(request));

        public Task SendRawAsync(string text) =>
            Socket.SendAsync(Encoding.UTF8.GetBytes(text), WebSocketMessageType.Text, true, CancellationToken.None);

        public async Task<JsonElement> ReceiveAsync()
        {
            var (type, payload) = await WebSocketEchoTests.ReceiveMessageAsync(Socket);
            Assert.True(type == WebSocketMessageType.Text, $"a {type} message; read so far:\n{string.Join("\n", _seen)}");
            var text = Encoding.UTF8.GetString(payload);
            _seen.Add(text);
            var message = JsonDocument.Parse(text).RootElement;
            Received = message.GetProperty("type").GetString() == "registered" ? message.GetProperty("next").GetInt64() : Received + 1;
            return message;
        }

        /// <summary>The next message of <paramref name="type"/> (and matching <paramref name="match"/>), skipping others.</summary>
        public async Task<JsonElement> ExpectAsync(string type, Func<JsonElement, bool>? match = null)
        {
            while (true)
            {
                var message = await ReceiveAsync();
                if (message.GetProperty("type").GetString() == type && (match is null || match(message)))
                {
                    return message;
                }
            }
        }

        public void Dispose() => Socket.Dispose();
    }

    private static string S(JsonElement e, string name) => e.GetProperty(name).GetString()!;

    [Fact]
    public async Task Browsers_JoinTalkAndMessagePrivately_WithALineUserInTheSameRoom()
    {
        await using var server = await ChatServer.StartAsync();
        using var alice = await server.BrowserAsync("alice");
        await alice.SendAsync(new { type = "join", room = "lobby" });
        var names = await alice.ExpectAsync("names");
        Assert.Equal("#lobby", S(names, "room"));
        Assert.True(names.GetProperty("members")[0].GetProperty("op").GetBoolean());

        using var bob = await server.BrowserAsync("bob");
        await bob.SendAsync(new { type = "join", room = "#lobby" });
        Assert.Equal(["alice", "bob"], (await bob.ExpectAsync("names")).GetProperty("members").EnumerateArray().Select(m => S(m, "nick")));
        Assert.Equal("bob", S(await alice.ExpectAsync("join"), "nick"));

        await using var carol = await server.LineUserAsync("carol");
        await carol.SendAsync("/join lobby");
        await alice.ExpectAsync("join", j => S(j, "nick") == "carol");

        await bob.SendAsync(new { type = "say", room = "#lobby", text = "hi <b>all</b>" });
        var got = await alice.ExpectAsync("message");
        Assert.Equal(("#lobby", "bob", "hi <b>all</b>", "message"), (S(got, "room"), S(got, "from"), S(got, "text"), S(got, "kind")));
        Assert.Equal("hi <b>all</b>", S(await bob.ExpectAsync("message"), "text"));
        Assert.Equal("[#lobby] <bob> hi <b>all</b>", await carol.ExpectAsync("hi <b>all</b>"));

        await carol.SendAsync("from nc", "/msg alice psst");
        Assert.Equal("from nc", S(await bob.ExpectAsync("message", m => S(m, "from") == "carol"), "text"));
        var pm = await alice.ExpectAsync("pm");
        Assert.Equal(("carol", "alice", "psst"), (S(pm, "from"), S(pm, "to"), S(pm, "text")));

        await alice.SendAsync(new { type = "pm", to = "bob", text = "just you", kind = "action" });
        var toBob = await bob.ExpectAsync("pm");
        Assert.Equal(("alice", "bob", "just you", "action"), (S(toBob, "from"), S(toBob, "to"), S(toBob, "text"), S(toBob, "kind")));
        Assert.Equal("bob", S(await alice.ExpectAsync("pm", m => S(m, "from") == "alice"), "to"));

        var rooms = (await bob.SendAsync(new { type = "rooms" }).ContinueWith(_ => bob.ExpectAsync("rooms")).Unwrap()).GetProperty("rooms");
        Assert.Equal(3, rooms[0].GetProperty("members").GetInt32());
    }

    [Fact]
    public async Task BadJson_AnsweredWithOneError_AndTheWebSocketGoesOn()
    {
        await using var server = await ChatServer.StartAsync();
        using var alice = await server.BrowserAsync();

        await alice.SendRawAsync("{not json");
        var error = await alice.ReceiveAsync();
        Assert.Equal(("error", "badJson"), (S(error, "type"), S(error, "code")));
        await alice.SendRawAsync("[1,2]");
        Assert.Equal("badRequest", S(await alice.ReceiveAsync(), "code"));
        await alice.SendAsync(new { type = "join", room = "#early" });
        Assert.Equal(("join", "notRegistered"), (S(error = await alice.ReceiveAsync(), "request"), S(error, "code")));
        await alice.SendAsync(new { type = "hello", nick = "<img src=x onerror=alert(1)>" });
        error = await alice.ReceiveAsync();
        Assert.Equal("nickInvalid", S(error, "code"));
        Assert.Contains("'<img src=x onerror=alert(1)>' cannot be a nickname", S(error, "error"));

        await alice.SendAsync(new { type = "hello", nick = "alice" });
        await alice.ExpectAsync("registered");
        await alice.ExpectAsync("rooms");
        await alice.SendRawAsync("{\"type\":\"say\",");
        Assert.Equal("badJson", S(await alice.ReceiveAsync(), "code"));
        await alice.SendAsync(new { type = "join", room = "#lobby" });
        Assert.Equal("#lobby", S(await alice.ExpectAsync("names"), "room"));
        Assert.Equal(WebSocketState.Open, alice.Socket.State);
    }

    [Fact]
    public async Task KeysAndInvites_RefusedThenLetIn()
    {
        await using var server = await ChatServer.StartAsync();
        using var alice = await server.BrowserAsync("alice");
        using var bob = await server.BrowserAsync("bob");
        await alice.SendAsync(new { type = "join", room = "#den" });
        await alice.ExpectAsync("names");
        await alice.SendAsync(new { type = "mode", room = "#den", mode = "+k", arg = "sesame" });
        Assert.Equal("sesame", S(await alice.ExpectAsync("mode"), "arg"));

        await bob.SendAsync(new { type = "join", room = "#den" });
        Assert.Equal("badKey", S(await bob.ExpectAsync("error"), "code"));
        await bob.SendAsync(new { type = "join", room = "#den", key = "sesame" });
        Assert.Equal("sesame", S(await bob.ExpectAsync("names"), "key"));
        await bob.SendAsync(new { type = "part", room = "#den" });
        await bob.ExpectAsync("part");

        await alice.SendAsync(new { type = "mode", room = "#den", mode = "+i" });
        await alice.ExpectAsync("mode", m => S(m, "mode") == "+i");
        await bob.SendAsync(new { type = "join", room = "#den", key = "sesame" });
        Assert.Equal("inviteOnly", S(await bob.ExpectAsync("error"), "code"));
        await alice.SendAsync(new { type = "invite", room = "#den", nick = "bob" });
        Assert.Equal("bob", S(await alice.ExpectAsync("invited"), "nick"));
        var invite = await bob.ExpectAsync("invite");
        Assert.Equal(("#den", "alice"), (S(invite, "room"), S(invite, "nick")));
        await bob.SendAsync(new { type = "join", room = "#den", key = "sesame" });
        Assert.Equal("#den", S(await bob.ExpectAsync("names"), "room"));
    }

    [Fact]
    public async Task DroppedBrowser_ResumesWithItsToken_KeepsItsNickAndGetsWhatWasSaidMeanwhile()
    {
        await using var server = await ChatServer.StartAsync(new ChatServiceOptions { WebResumeWindow = TimeSpan.FromMinutes(5) });
        var alice = await server.BrowserAsync();
        await alice.SendAsync(new { type = "hello", nick = "alice" });
        var token = S(await alice.ExpectAsync("registered"), "resume");
        await alice.SendAsync(new { type = "join", room = "#lobby" });
        await alice.ExpectAsync("names");
        await using var carol = await server.LineUserAsync("carol");
        await carol.SendAsync("/join lobby");
        await alice.ExpectAsync("join");

        // The server may go on sending into the dead WebSocket until it notices: the count says what alice had.
        var received = alice.Received;
        alice.Socket.Abort();
        alice.Dispose();
        await carol.SendAsync("while you were away", "/msg alice did you see that");
        await carol.SendAsync("/nick alice");
        Assert.Equal("error: the nickname alice is taken; choose another with /nick NAME", await carol.ExpectAsync("is taken"));

        using var back = await server.BrowserAsync();
        await back.SendAsync(new { type = "hello", nick = "whoever", resume = token, received });
        var registered = await back.ReceiveAsync();
        Assert.Equal(("registered", "alice", true, false), (S(registered, "type"), S(registered, "nick"), registered.GetProperty("resumed").GetBoolean(), registered.GetProperty("gap").GetBoolean()));
        Assert.Equal(received, registered.GetProperty("next").GetInt64());
        Assert.Equal("#lobby", registered.GetProperty("rooms")[0].GetString());
        Assert.Equal("while you were away", S(await back.ReceiveAsync(), "text"));
        Assert.Equal("did you see that", S(await back.ReceiveAsync(), "text"));
        await back.SendAsync(new { type = "say", room = "#lobby", text = "back" });
        Assert.Equal("[#lobby] <alice> back", await carol.ExpectAsync("back"));
    }

    [Fact]
    public async Task BrowserThatDoesNotRead_IsCutBySlowConsumerRule_AndTheRoomIsTold()
    {
        await using var server = await ChatServer.StartAsync(
            new ChatServiceOptions { WebResumeWindow = TimeSpan.FromMinutes(5) }, new ChatOptions { FloodMessagesPerSecond = 0 }, maxSendQueueBytes: 64 * 1024);
        using var stalled = await server.BrowserAsync("stalled");
        await stalled.SendAsync(new { type = "join", room = "#lobby" });
        await stalled.ExpectAsync("names");
        await stalled.SendAsync(new { type = "join", room = "#side" });
        await stalled.ExpectAsync("names", n => S(n, "room") == "#side");
        await using var carol = await server.LineUserAsync("carol");
        await carol.SendAsync("/join lobby");
        await stalled.ExpectAsync("join", j => S(j, "nick") == "carol");
        // dave shares only a quiet room with stalled, so he reads the news of the cut and not carol's flood.
        await using var dave = await server.LineUserAsync("dave");
        await dave.SendAsync("/join side");
        await stalled.ExpectAsync("join", j => S(j, "nick") == "dave");

        // stalled reads nothing more: carol talks until the platform's send queue bound cuts it (64 KiB queued, after
        // what the kernel's buffers take: a few MiB on loopback).
        var line = new string('x', 400);
        var deadline = DateTime.UtcNow.AddSeconds(60);
        for (var sent = 0L; server.Hub.SlowConsumersCut == 0; sent += 50 * 400)
        {
            Assert.True(DateTime.UtcNow < deadline, $"{sent} bytes sent in 60 s and the browser that does not read was never cut: {server.Hub.Deliveries} deliveries, {server.Hub.MessagesSent} messages");
            await carol.SendAsync(Enumerable.Repeat(line, 50).ToArray());
            await Task.Delay(1);
        }

        var cut = dave.ExpectAsync("stalled quit");
        Assert.Contains("cut: not reading (send queue over 64 KiB)", await cut);
    }
}
