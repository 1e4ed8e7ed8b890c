using System.Diagnostics;
using System.Net.Sockets;
using System.Security.Cryptography;
using System.Text;
using SockCat.Endpoints;
using SockCat.Server;
using SockCat.Services.Echo;
using SockCat.Web;

namespace SockCat.Cli.Tests;

/// <summary>
/// <c>sockcat relay tcp://… ws://…</c>: a raw TCP client through the relay to SockCat's own WebSocket echo, lines and
/// --binary, and a ws:// target where nothing listens.
/// </summary>
public sealed partial class RelayCommandTests
{
    [Fact]
    public async Task Relay_TcpToWebSocket_EachLineAMessage_EachMessageBackALine_OneLogLine()
    {
        await using var echo = await StartWebSocketEchoAsync();
        await using var relay = await Relay.StartAsync("tcp://127.0.0.1:0", $"ws://127.0.0.1:{echo.Port}/echo");

        using var client = await ConnectAsync(relay.Port);
        await client.SendAsync(Encoding.UTF8.GetBytes("hello\nwörld\r\nno newline at the end"));
        client.Shutdown(SocketShutdown.Send);
        var back = await ReadToEndAsync(client);

        Assert.Equal("hello\nwörld\nno newline at the end\n", Encoding.UTF8.GetString(back));
        var result = await relay.StopAsync();
        Assert.Equal(ExitCodes.Success, result.ExitCode);
        var line = Assert.Single(result.Output.Split('\n'), l => l.StartsWith("Relayed connection ", StringComparison.Ordinal));
        Assert.Matches($@"^Relayed connection \d+ from 127\.0\.0\.1:\d+ to ws://127\.0\.0\.1:{echo.Port}/echo: 3 messages to it, 3 messages back, [0-9.]+ s", line);
    }

    [Fact]
    public async Task Relay_TcpToWebSocket_Binary_BytesComeBackExactly()
    {
        await using var echo = await StartWebSocketEchoAsync();
        await using var relay = await Relay.StartAsync("tcp://127.0.0.1:0", $"ws://127.0.0.1:{echo.Port}/echo", "--binary");
        var sent = RandomNumberGenerator.GetBytes(3 * 1024 * 1024 + 7);

        using var client = await ConnectAsync(relay.Port);
        var reading = ReadToEndAsync(client);
        await client.SendAsync(sent);
        client.Shutdown(SocketShutdown.Send);

        Assert.Equal(SHA256.HashData(sent), SHA256.HashData(await reading));
    }

    [Fact]
    public async Task Relay_TcpToUnreachableWebSocket_ClientClosed_OneLineSaysWhy()
    {
        var port = UnusedPort();
        await using var relay = await Relay.StartAsync("tcp://127.0.0.1:0", $"ws://127.0.0.1:{port}/");

        using (var client = await ConnectAsync(relay.Port))
        {
            Assert.Empty(await ReadToEndAsync(client));
        }

        var result = await relay.StopAsync();
        var reason = Assert.Single(result.Output.Split('\n'), l => l.Contains("cannot reach", StringComparison.Ordinal));
        Assert.Matches($@"^Closing connection \d+ from 127\.0\.0\.1:\d+: cannot reach ws://127\.0\.0\.1:{port}/: connection refused by 127\.0\.0\.1:{port} \(ECONNREFUSED\)$", reason);
        Assert.DoesNotContain("Relayed connection", result.Output);
    }

    [Fact]
    public async Task Relay_WebSocketFlagWithTcpTo_OneLineUsageError()
    {
        var result = await CliRun.InvokeAsync("relay", "tcp://127.0.0.1:0", "tcp://127.0.0.1:80", "--binary");

        Assert.Equal(ExitCodes.Usage, result.ExitCode);
        Assert.Equal("sockcat: --binary is for a ws:// or wss:// TO, and tcp://127.0.0.1:80 is not one; leave --binary out\n", result.Error);
    }

    // A WebSocket client no one here wrote (Debian's python3-websockets): sends each argument after the URL as a message
    // (b: prefix: binary), prints each answer's repr.
    private const string PythonClient = """
        import asyncio, sys, websockets
        async def main():
            async with websockets.connect(sys.argv[1]) as ws:
                for arg in sys.argv[2:]:
                    await ws.send(arg[2:].encode() * 50000 if arg.startswith("b:") else arg)
                    answer = await ws.recv()
                    if isinstance(answer, bytes):
                        while len(answer) < len(arg[2:]) * 50000:
                            answer += await ws.recv()
                        print("bytes", len(answer), answer == arg[2:].encode() * 50000)
                    else:
                        print(repr(answer))
        asyncio.run(main())
        """;

    [Fact]
    public async Task Relay_WebSocketToTcp_PythonClient_EachMessageALine_EachLineAMessage()
    {
        await using var echo = await StartTcpEchoAsync();
        await using var relay = await Relay.StartAsync("ws://127.0.0.1:0/", $"tcp://127.0.0.1:{echo.Port}");

        var output = await RunPythonClientAsync($"ws://127.0.0.1:{relay.Port}/", "hello", "wörld");

        Assert.Equal("'hello'\n'wörld'\n", output);
        var result = await relay.StopAsync();
        var line = Assert.Single(result.Output.Split('\n'), l => l.StartsWith("Relayed WebSocket ", StringComparison.Ordinal));
        Assert.Matches($@"^Relayed WebSocket \d+ from 127\.0\.0\.1:\d+ to tcp://127\.0\.0\.1:{echo.Port}: 13 bytes to it, 13 bytes back$", line);
    }

    [Fact]
    public async Task Relay_WebSocketToTcp_Binary_PythonClient_BytesComeBackExactly()
    {
        await using var echo = await StartTcpEchoAsync();
        await using var relay = await Relay.StartAsync("ws://127.0.0.1:0/", $"tcp://127.0.0.1:{echo.Port}", "--binary");

        var output = await RunPythonClientAsync($"ws://127.0.0.1:{relay.Port}/", "b:0123456789abcdef");

        Assert.Equal("bytes 800000 True\n", output);
    }

    private static async Task<string> RunPythonClientAsync(params string[] args)
    {
        var start = new ProcessStartInfo("/usr/bin/python3") { RedirectStandardOutput = true, RedirectStandardError = true };
        start.ArgumentList.Add("-c");
        start.ArgumentList.Add(PythonClient);
        foreach (var arg in args)
        {
            start.ArgumentList.Add(arg);
        }

        using var python = Process.Start(start)!;
        var output = python.StandardOutput.ReadToEndAsync();
        var error = await python.StandardError.ReadToEndAsync();
        await python.WaitForExitAsync().WaitAsync(CliRun.TestTimeout);
        Assert.True(python.ExitCode == 0, $"python exited {python.ExitCode}: {error}");
        return await output;
    }

    private static async Task<WebSocketEcho> StartTcpEchoAsync()
    {
        var server = new SockCatServer(_ => EchoProtocol.Instance, new ServerOptions());
        var bound = await server.StartAsync([EndpointUrl.Parse("tcp://127.0.0.1:0")]);
        return new WebSocketEcho(server, bound[0].Port);
    }

    private static async Task<WebSocketEcho> StartWebSocketEchoAsync()
    {
        var server = new SockCatServer(new ServerOptions());
        server.ListenWeb(EndpointUrl.Parse("ws://127.0.0.1:0/echo"), routes => routes.MapWebSocketEcho("/echo"));
        var bound = await server.StartAsync();
        return new WebSocketEcho(server, bound[0].Port);
    }

    private sealed record WebSocketEcho(SockCatServer Server, int Port) : IAsyncDisposable
    {
        public ValueTask DisposeAsync() => Server.DisposeAsync();
    }
}
