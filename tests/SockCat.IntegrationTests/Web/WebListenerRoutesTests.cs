using System.Net;
using System.Net.Http;
using System.Net.WebSockets;
using System.Text;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using SockCat.Endpoints;
using SockCat.Server;
using SockCat.Services.Echo;
using SockCat.Web;

namespace SockCat.IntegrationTests.Web;

/// <summary><see cref="SockCatServer.ListenWeb"/>: each web listener with routes of its own, beside stream listeners.</summary>
public class WebListenerRoutesTests
{
    [Fact]
    public async Task TwoWebListeners_EachServesItsOwnRoutes_BesideATcpListener()
    {
        await using var server = new SockCatServer(new ServerOptions());
        server.Listen(EndpointUrl.Parse("tcp://127.0.0.1:0"), _ => EchoProtocol.Instance);
        server.ListenWeb(EndpointUrl.Parse("http://127.0.0.1:0/"), routes => routes.MapGet("/who", () => "page"));
        server.ListenWeb(EndpointUrl.Parse("ws://127.0.0.1:0/echo"), routes =>
        {
            routes.MapGet("/who", () => "admin");
            routes.MapWebSocketEcho("/echo");
        });
        var bound = await server.StartAsync();
        using var http = new HttpClient { Timeout = TimeSpan.FromSeconds(30) };

        Assert.Equal("page", await http.GetStringAsync($"http://127.0.0.1:{bound[1].Port}/who"));
        Assert.Equal("admin", await http.GetStringAsync($"http://127.0.0.1:{bound[2].Port}/who"));
        // The first listener has no WebSocket route: its routes are its own, not shared with the second's.
        Assert.Equal(HttpStatusCode.NotFound, (await http.GetAsync($"http://127.0.0.1:{bound[1].Port}/echo")).StatusCode);

        using var ws = new ClientWebSocket();
        await ws.ConnectAsync(new Uri($"ws://127.0.0.1:{bound[2].Port}/echo"), CancellationToken.None);
        await ws.SendAsync("hi"u8.ToArray(), WebSocketMessageType.Text, true, CancellationToken.None);
        Assert.Equal("hi", Encoding.UTF8.GetString((await WebSocketEchoTests.ReceiveMessageAsync(ws)).Payload));

        using var tcp = new System.Net.Sockets.TcpClient();
        await tcp.ConnectAsync(IPAddress.Loopback, bound[0].Port);
        await tcp.GetStream().WriteAsync("x"u8.ToArray());
        Assert.Equal((byte)'x', (byte)tcp.GetStream().ReadByte());
        Assert.Contains(server.Connections.GetSnapshot(), c => c.Listener == bound[2]);
    }

    [Fact]
    public async Task ListenWeb_StreamEndpoint_IsRefusedWithOneLine()
    {
        await using var server = new SockCatServer(new ServerOptions());

        var ex = Assert.Throws<ServerListenException>(() => server.ListenWeb(EndpointUrl.Parse("tcp://127.0.0.1:0"), _ => { }));

        Assert.Equal("tcp://127.0.0.1:0: a web listener takes ws://, http://, wss:// or https://", ex.Message);
    }
}
