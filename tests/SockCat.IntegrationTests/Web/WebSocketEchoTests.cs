using System.Net;
using System.Net.WebSockets;
using System.Text;
using SockCat.Endpoints;
using SockCat.Server;
using SockCat.Services.Echo;
using SockCat.Web;

namespace SockCat.IntegrationTests.Web;

public class WebSocketEchoTests
{
    private static readonly TimeSpan Timeout = TimeSpan.FromSeconds(30);

    internal static async Task<(WebSocketMessageType Type, byte[] Payload)> ReceiveMessageAsync(WebSocket client)
    {
        using var timeout = new CancellationTokenSource(Timeout);
        var message = new MemoryStream();
        var buffer = new byte[4096];
        while (true)
        {
            var result = await client.ReceiveAsync(buffer, timeout.Token);
            message.Write(buffer, 0, result.Count);
            if (result.EndOfMessage || result.MessageType == WebSocketMessageType.Close)
            {
                return (result.MessageType, message.ToArray());
            }
        }
    }

    /// <summary>The server still serves: a new client's message comes back.</summary>
    private static async Task AssertStillServesAsync(WebTestServer server)
    {
        using var client = await server.ConnectAsync();
        await client.SendAsync("still here"u8.ToArray(), WebSocketMessageType.Text, true, CancellationToken.None);
        var type = WebSocketMessageType.Close;
        var payload = Array.Empty<byte>();
        try
        {
            (type, payload) = await ReceiveMessageAsync(client);
        }
        catch (OperationCanceledException)
        {
            Assert.Fail("no echo; the server logged:\n" + string.Join("\n", server.Log.Messages));
        }

        Assert.Equal(WebSocketMessageType.Text, type);
        Assert.Equal("still here", Encoding.UTF8.GetString(payload));
    }

    [Fact]
    public async Task Echo_TextAndBinary_ComeBackAsTheySentWithBoundariesKept()
    {
        await using var server = await WebTestServer.StartAsync();
        using var client = await server.ConnectAsync();

        await client.SendAsync("héllo"u8.ToArray(), WebSocketMessageType.Text, true, CancellationToken.None);
        await client.SendAsync(new byte[] { 0, 1, 255 }, WebSocketMessageType.Binary, true, CancellationToken.None);
        // One message in three fragments comes back as one message; two messages sent back to back stay two.
        await client.SendAsync("frag"u8.ToArray(), WebSocketMessageType.Text, false, CancellationToken.None);
        await client.SendAsync("men"u8.ToArray(), WebSocketMessageType.Text, false, CancellationToken.None);
        await client.SendAsync("ted"u8.ToArray(), WebSocketMessageType.Text, true, CancellationToken.None);
        await client.SendAsync("a"u8.ToArray(), WebSocketMessageType.Text, true, CancellationToken.None);
        await client.SendAsync("b"u8.ToArray(), WebSocketMessageType.Text, true, CancellationToken.None);

        Assert.Equal((WebSocketMessageType.Text, "héllo"), Text(await ReceiveMessageAsync(client)));
        var binary = await ReceiveMessageAsync(client);
        Assert.Equal(WebSocketMessageType.Binary, binary.Type);
        Assert.Equal(new byte[] { 0, 1, 255 }, binary.Payload);
        Assert.Equal((WebSocketMessageType.Text, "fragmented"), Text(await ReceiveMessageAsync(client)));
        Assert.Equal((WebSocketMessageType.Text, "a"), Text(await ReceiveMessageAsync(client)));
        Assert.Equal((WebSocketMessageType.Text, "b"), Text(await ReceiveMessageAsync(client)));

        await client.CloseAsync(WebSocketCloseStatus.NormalClosure, "bye", CancellationToken.None);
        Assert.Equal(WebSocketCloseStatus.NormalClosure, client.CloseStatus);
    }

    private static (WebSocketMessageType, string) Text((WebSocketMessageType Type, byte[] Payload) m) => (m.Type, Encoding.UTF8.GetString(m.Payload));

    [Fact]
    public async Task Connection_OnWebListener_IsLoggedAndCountedAsAnyOther()
    {
        await using var server = await WebTestServer.StartAsync();
        using (var client = await server.ConnectAsync())
        {
            await server.WaitForLogAsync("Now there are total 1 clients.");
            Assert.Equal(1, server.Server.Connections.Count);
            var info = Assert.Single(server.Server.Connections.GetSnapshot());
            Assert.Equal(server.Url, info.Listener);
            Assert.Contains(server.Log.Messages, m => m.StartsWith("Connection accepted from 127.0.0.1:", StringComparison.Ordinal));

            await client.SendAsync(new byte[100], WebSocketMessageType.Binary, true, CancellationToken.None);
            await ReceiveMessageAsync(client);
            await client.CloseAsync(WebSocketCloseStatus.NormalClosure, null, CancellationToken.None);
        }

        await server.WaitForLogAsync("A client disconnected. Now there are total 0 clients.");
        Assert.Equal(100, server.Server.Connections.BytesReceived);
        Assert.Equal(100, server.Server.Connections.BytesSent);
    }

    [Fact]
    public async Task UnmaskedClientFrame_IsClosedWith1002_AndOthersAreStillServed()
    {
        await using var server = await WebTestServer.StartAsync();
        await using var raw = await RawWebSocket.ConnectAsync(server.Port);
        Assert.True(raw.Upgraded, raw.Response);

        await raw.SendFrameAsync(1, "no mask"u8.ToArray(), masked: false);

        Assert.Equal(1002, await raw.ReadCloseCodeAsync());
        await raw.ReadUntilClosedAsync();
        await server.WaitForLogAsync("WebSocket protocol error");
        await AssertStillServesAsync(server);
    }

    [Fact]
    public async Task MessageOverMaxSize_IsClosedWith1009_WithoutBufferingIt()
    {
        await using var server = await WebTestServer.StartAsync(o => o.Web.MaxMessageBytes = 1000);
        await using var raw = await RawWebSocket.ConnectAsync(server.Port);

        // Exactly the limit passes; one byte more, sent in fragments, is refused.
        await raw.SendFrameAsync(2, new byte[1000]);
        var echoed = await raw.ReadFrameAsync();
        Assert.Equal(1000, echoed!.Value.Payload.Length);
        await raw.SendFrameAsync(2, new byte[600], fin: false);
        await raw.SendFrameAsync(0, new byte[401], fin: true);

        Assert.Equal(1009, await raw.ReadCloseCodeAsync());
        await raw.SendFrameAsync(8, new byte[] { 0x03, 0xF1 });
        Assert.Contains("message over 1000 bytes (close 1009)", await server.WaitForLogAsync("Closing connection"));
        await AssertStillServesAsync(server);
    }

    [Fact]
    public async Task InvalidUtf8InText_IsClosedWith1007_AndOthersAreStillServed()
    {
        await using var server = await WebTestServer.StartAsync();
        await using var raw = await RawWebSocket.ConnectAsync(server.Port);

        await raw.SendFrameAsync(1, new byte[] { (byte)'o', (byte)'k', 0xC3, 0x28 });

        Assert.Equal(1007, await raw.ReadCloseCodeAsync());
        await raw.ReadUntilClosedAsync();
        await AssertStillServesAsync(server);
    }

    [Theory]
    [InlineData("http://evil.example", false)]
    [InlineData("null", false)]
    [InlineData("http://127.0.0.1:1", false)]
    [InlineData("https://127.0.0.1:{port}", false)]
    [InlineData("http://127.0.0.1:{port}", true)]
    [InlineData("HTTP://127.0.0.1:{port}", true)]
    [InlineData(null, true)]
    public async Task Upgrade_FromOtherOrigin_IsRefusedWith403(string? origin, bool allowed)
    {
        await using var server = await WebTestServer.StartAsync();
        await using var raw = await RawWebSocket.ConnectAsync(server.Port, origin: origin?.Replace("{port}", server.Port.ToString()));

        if (allowed)
        {
            Assert.True(raw.Upgraded, raw.Response);
            return;
        }

        Assert.StartsWith("HTTP/1.1 403", raw.Response);
        Assert.Contains("may not open a WebSocket here", await raw.ReadToEndAsync());
        Assert.Contains("is not allowed here", await server.WaitForLogAsync("Refused WebSocket from 127.0.0.1:"));
        await AssertStillServesAsync(server);
    }

    [Theory]
    [InlineData("https://app.example", "https://app.example", true)]
    [InlineData("https://app.example:443", "https://app.example", true)]
    [InlineData("https://app.example", "https://other.example", false)]
    [InlineData("*", "https://anything.example", true)]
    public async Task Upgrade_FromAllowedOrigin_IsAccepted(string allow, string origin, bool allowed)
    {
        await using var server = await WebTestServer.StartAsync(o => o.Web.AllowedOrigins.Add(allow));
        await using var raw = await RawWebSocket.ConnectAsync(server.Port, origin: origin);

        Assert.Equal(allowed, raw.Upgraded);
    }

    [Fact]
    public async Task ClientOverMaxConnections_Gets503WithServerFullLine_AndIsNotCounted()
    {
        await using var server = await WebTestServer.StartAsync(o => o.MaxConnections = 1);
        using var first = await server.ConnectAsync();
        await server.WaitForLogAsync("Now there are total 1 clients.");

        await using var second = await RawWebSocket.ConnectAsync(server.Port);

        Assert.StartsWith("HTTP/1.1 503", second.Response);
        Assert.Equal("sockcat: server full (1 connections); try again later\n", await second.ReadToEndAsync());
        await server.WaitForLogAsync("server full (1 connections)");
        Assert.Equal(1, server.Server.Connections.Count);
    }

    [Fact]
    public async Task DeniedPeer_IsClosedBeforeAnyHttp()
    {
        await using var server = await WebTestServer.StartAsync(o => o.AcceptFilter = a => !IPAddress.IsLoopback(a));
        await using var raw = await RawWebSocket.ConnectAsync(server.Port);

        Assert.Equal("", raw.Response);
        await server.WaitForLogAsync("Denied connection from 127.0.0.1:");
        Assert.Equal(0, server.Server.Connections.TotalAccepted);
    }

    [Fact]
    public async Task PeerThatNeverAnswersPings_IsCutAfterKeepAliveTimeout()
    {
        await using var server = await WebTestServer.StartAsync(o =>
        {
            o.Web.KeepAliveInterval = TimeSpan.FromMilliseconds(100);
            o.Web.KeepAliveTimeout = TimeSpan.FromMilliseconds(300);
        });
        await using var raw = await RawWebSocket.ConnectAsync(server.Port);
        Assert.True(raw.Upgraded, raw.Response);

        // Reads (so nothing backs up) but never answers a ping: a peer whose application is gone.
        var pings = 0;
        while (await raw.ReadFrameAsync() is { } frame)
        {
            pings += frame.Opcode == 9 ? 1 : 0;
        }

        Assert.True(pings >= 1);
        Assert.Contains("dead peer", await server.WaitForLogAsync("Closing connection"));
        await server.WaitForLogAsync("Now there are total 0 clients.");
    }

    [Fact]
    public async Task PeerThatAnswersPings_StaysOpenPastTheKeepAliveTimeout()
    {
        await using var server = await WebTestServer.StartAsync(o =>
        {
            o.Web.KeepAliveInterval = TimeSpan.FromMilliseconds(50);
            o.Web.KeepAliveTimeout = TimeSpan.FromMilliseconds(200);
        });
        await using var raw = await RawWebSocket.ConnectAsync(server.Port);

        // Ten pings answered span several timeouts; then the WebSocket still echoes.
        for (var pings = 0; pings < 10;)
        {
            var frame = await raw.ReadFrameAsync();
            Assert.NotNull(frame);
            Assert.Equal(9, frame.Value.Opcode);
            await raw.SendFrameAsync(10, frame.Value.Payload);
            pings++;
        }

        await raw.SendFrameAsync(1, "alive"u8.ToArray());
        while (await raw.ReadFrameAsync() is { } frame)
        {
            if (frame.Opcode == 9)
            {
                await raw.SendFrameAsync(10, frame.Payload);
                continue;
            }

            Assert.Equal((1, "alive"), (frame.Opcode, Encoding.UTF8.GetString(frame.Payload)));
            break;
        }

        Assert.DoesNotContain(server.Log.Messages, m => m.Contains("dead peer", StringComparison.Ordinal));
    }

    [Fact]
    public async Task ClientThatStopsReading_IsCutAsSlowConsumer_WithTheReasonSeenByTheHandler()
    {
        var closed = new TaskCompletionSource<string?>(TaskCreationOptions.RunContinuationsAsynchronously);
        var flood = new FloodHandler(closed);
        await using var server = await WebTestServer.StartAsync(
            o => o.Web.MaxSendQueueBytes = 256 * 1024,
            (routes, url) =>
            {
                routes.MapWebSocketEcho(url.Path);
                routes.MapWebSocketMessages("/flood", _ => flood);
            });
        await using var raw = await RawWebSocket.ConnectAsync(server.Port, "/flood");
        await raw.SendFrameAsync(1, "go"u8.ToArray());

        // The client reads nothing more; the handler queues 64 KiB messages until TrySend says no.
        var reason = await closed.Task.WaitAsync(Timeout);

        Assert.Contains("slow consumer", reason);
        Assert.False(flood.LastSendAccepted);
        Assert.Contains("slow consumer", await server.WaitForLogAsync("Closing connection"));
        await AssertStillServesAsync(server);
    }

    private sealed class FloodHandler(TaskCompletionSource<string?> closed) : IWebSocketMessageHandler
    {
        public bool LastSendAccepted { get; private set; } = true;

        public ValueTask OnMessageAsync(WebSocketSession session, WebSocketMessage message)
        {
            var chunk = new byte[64 * 1024];
            // 1 GiB at most: far past loopback's socket buffers, so the queue must fill first.
            for (var i = 0; i < 16 * 1024 && LastSendAccepted; i++)
            {
                LastSendAccepted = session.TrySend(WebSocketMessageType.Binary, chunk);
            }

            return ValueTask.CompletedTask;
        }

        public ValueTask OnClosedAsync(WebSocketSession session, string? reason)
        {
            closed.TrySetResult(reason);
            return ValueTask.CompletedTask;
        }
    }

    [Fact]
    public async Task ServerStop_TellsOpenWebSocketsGoingAway()
    {
        var server = await WebTestServer.StartAsync();
        using var client = await server.ConnectAsync();
        await server.WaitForLogAsync("Now there are total 1 clients.");

        var stopping = server.Server.StopAsync(TimeSpan.Zero);
        var (type, _) = await ReceiveMessageAsync(client);

        Assert.Equal(WebSocketMessageType.Close, type);
        Assert.Equal(WebSocketCloseStatus.EndpointUnavailable, client.CloseStatus);
        Assert.Equal("server stopping", client.CloseStatusDescription);
        await stopping;
        Assert.Equal(0, server.Server.Connections.Count);
    }

    [Fact]
    public async Task Wss_EchoRunsOverTls()
    {
        await using var server = await WebTestServer.StartAsync(url: "wss://127.0.0.1:0/echo");
        Assert.Equal(EndpointScheme.WebSocketSecure, server.Url.Scheme);
        using var client = await server.ConnectAsync();

        await client.SendAsync("over tls"u8.ToArray(), WebSocketMessageType.Text, true, CancellationToken.None);

        Assert.Equal((WebSocketMessageType.Text, "over tls"), Text(await ReceiveMessageAsync(client)));
    }

    [Fact]
    public async Task Https_ServesThePage()
    {
        await using var server = await WebTestServer.StartAsync(url: "https://127.0.0.1:0/");
        using var http = new HttpClient(new HttpClientHandler { ServerCertificateCustomValidationCallback = (_, _, _, _) => true });

        var page = await http.GetStringAsync($"https://127.0.0.1:{server.Port}/");

        Assert.Contains("<title>sockcat echo</title>", page);
    }

    [Fact]
    public async Task PlainRequestOnAWebSocketRoute_Gets426WithoutAPage()
    {
        await using var server = await WebTestServer.StartAsync(map: (routes, url) => routes.MapWebSocketMessages(url.Path, _ => SockCat.Services.Echo.EchoMessageHandler.Instance));
        using var http = new HttpClient();

        var response = await http.GetAsync($"http://127.0.0.1:{server.Port}/");

        Assert.Equal(HttpStatusCode.UpgradeRequired, response.StatusCode);
    }

    [Fact]
    public async Task WebListener_WithoutRoutes_IsRefusedAtStart()
    {
        await using var server = new SockCatServer(_ => SockCat.Services.Echo.EchoProtocol.Instance);

        var ex = await Assert.ThrowsAsync<ServerListenException>(() => server.StartAsync([EndpointUrl.Parse("ws://127.0.0.1:0/")]));

        Assert.Equal("ws://127.0.0.1:0/: this service has no web side; use tcp://, unix:// or tls://", ex.Message);
    }

    [Fact]
    public async Task WebListener_PortInUse_FailsStartWithTheUsualLine()
    {
        using var occupier = new System.Net.Sockets.Socket(System.Net.Sockets.AddressFamily.InterNetwork, System.Net.Sockets.SocketType.Stream, System.Net.Sockets.ProtocolType.Tcp);
        occupier.Bind(new IPEndPoint(IPAddress.Loopback, 0));
        occupier.Listen();
        var port = ((IPEndPoint)occupier.LocalEndPoint!).Port;
        var options = new ServerOptions();
        options.Web.MapRoutes = (routes, url) => routes.MapWebSocketEcho(url.Path);
        await using var server = new SockCatServer(_ => EchoProtocol.Instance, options);

        var ex = await Assert.ThrowsAsync<ServerListenException>(() => server.StartAsync([EndpointUrl.Parse("tcp://127.0.0.1:0"), EndpointUrl.Parse($"ws://127.0.0.1:{port}/")]));

        Assert.Equal($"ws://127.0.0.1:{port}/ is already in use; stop the other server or pick another port", ex.Message);
    }

    [Fact]
    public async Task WebAndTcpListeners_OnOneServer_ShareTheRegistry()
    {
        var options = new ServerOptions();
        options.Web.MapRoutes = (routes, url) => routes.MapWebSocketEcho(url.Path);
        await using var both = new SockCatServer(_ => EchoProtocol.Instance, options);
        var bound = await both.StartAsync([EndpointUrl.Parse("tcp://127.0.0.1:0"), EndpointUrl.Parse("ws://127.0.0.1:0/")]);
        using var tcp = new System.Net.Sockets.TcpClient();
        await tcp.ConnectAsync(IPAddress.Loopback, bound[0].Port);
        using var ws = new ClientWebSocket();
        await ws.ConnectAsync(new Uri($"ws://127.0.0.1:{bound[1].Port}/"), CancellationToken.None);

        await tcp.GetStream().WriteAsync("x"u8.ToArray());
        Assert.Equal((byte)'x', (byte)tcp.GetStream().ReadByte());
        await ws.SendAsync("y"u8.ToArray(), WebSocketMessageType.Text, true, CancellationToken.None);
        Assert.Equal("y", Encoding.UTF8.GetString((await ReceiveMessageAsync(ws)).Payload));

        Assert.Equal([bound[0], bound[1]], both.Connections.GetSnapshot().Select(c => c.Listener).OrderBy(u => u.Scheme));
    }
}
