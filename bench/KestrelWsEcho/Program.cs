// The smallest WebSocket echo ASP.NET Core allows, as its documentation writes one: Kestrel, UseWebSockets, a receive
// loop that sends each whole message back. The reference `sockcat serve echo ws://` is measured beside
// (bench/run-ws.sh): what SockCat's message layer, limits and admission cost over Kestrel's own WebSocket.
//   dotnet KestrelWsEcho.dll PORT
using System.Net;
using System.Net.WebSockets;

var port = int.Parse(args[0]);
var builder = WebApplication.CreateSlimBuilder();
builder.Logging.ClearProviders();
builder.WebHost.ConfigureKestrel(kestrel => kestrel.Listen(IPAddress.Loopback, port));
var app = builder.Build();
app.UseWebSockets();
app.Map("/", async context =>
{
    if (!context.WebSockets.IsWebSocketRequest)
    {
        context.Response.StatusCode = 400;
        return;
    }

    using var socket = await context.WebSockets.AcceptWebSocketAsync();
    var buffer = new byte[64 * 1024];
    while (true)
    {
        var count = 0;
        ValueWebSocketReceiveResult result;
        do
        {
            result = await socket.ReceiveAsync(buffer.AsMemory(count), CancellationToken.None);
            count += result.Count;
        }
        while (!result.EndOfMessage && result.MessageType != WebSocketMessageType.Close);

        if (result.MessageType == WebSocketMessageType.Close)
        {
            await socket.CloseOutputAsync(WebSocketCloseStatus.NormalClosure, null, CancellationToken.None);
            return;
        }

        await socket.SendAsync(buffer.AsMemory(0, count), result.MessageType, true, CancellationToken.None);
    }
});
Console.Error.WriteLine($"KestrelWsEcho: listening on ws://127.0.0.1:{port}/");
app.Run();
