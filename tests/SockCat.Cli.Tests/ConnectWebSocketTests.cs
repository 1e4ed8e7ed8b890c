using System.Diagnostics;
using System.IO.Pipelines;
using System.Security.Cryptography;
using System.Text;
using SockCat.Endpoints;
using SockCat.Server;
using SockCat.Services.Echo;
using SockCat.Web;

namespace SockCat.Cli.Tests;

/// <summary>
/// `sockcat connect ws://...` (websocat's core) against SockCat's own WebSocket echo and against a server nobody here
/// wrote: Python's websockets (Debian's python3-websockets; test.sh installs it).
/// </summary>
public sealed class ConnectWebSocketTests
{
    // Answers the upgrade with the first subprotocol offered; its first message says what the request carried; then each
    // message comes back upper-cased; "close 4000" makes it close with that code.
    private const string PythonServer = """
        import asyncio, sys, websockets
        async def handler(ws, path):
            await ws.send(f"path={path} header={ws.request_headers.get('X-Test')} origin={ws.request_headers.get('Origin')} proto={ws.subprotocol}")
            async for message in ws:
                if message == "close 4000":
                    await ws.close(code=4000, reason="asked to")
                    return
                await ws.send(message.upper())
        async def main():
            async with websockets.serve(handler, "127.0.0.1", 0, subprotocols=["chat.v2", "chat.v1"]) as server:
                print(server.sockets[0].getsockname()[1], flush=True)
                await asyncio.Future()
        asyncio.run(main())
        """;

    [Fact]
    public async Task Connect_SockCatEcho_EachLineAMessage_EachMessageALine()
    {
        await using var server = await StartEchoAsync();

        var result = await CliRun.InvokeAsync(Encoding.UTF8.GetBytes("hello\nwörld\r\nno newline at the end"), "connect", $"ws://127.0.0.1:{server.Port}/echo");

        Assert.Equal(ExitCodes.Success, result.ExitCode);
        Assert.Equal("hello\nwörld\nno newline at the end\n", result.StdoutText);
        Assert.Equal("", result.Error);
    }

    [Fact]
    public async Task Connect_Binary_BytesComeBackExactly_NothingAdded()
    {
        await using var server = await StartEchoAsync();
        var sent = RandomNumberGenerator.GetBytes(300_000);

        var result = await CliRun.InvokeAsync(sent, "connect", $"ws://127.0.0.1:{server.Port}/echo", "--binary");

        Assert.Equal(ExitCodes.Success, result.ExitCode);
        Assert.Equal(sent, result.Stdout);
    }

    [Fact]
    public async Task Connect_OriginTheServerRefuses_OneLineAndConnectFailed()
    {
        await using var server = await StartEchoAsync();

        var result = await CliRun.InvokeAsync("x"u8.ToArray(), "connect", $"ws://127.0.0.1:{server.Port}/echo", "--origin", "https://elsewhere.example");

        Assert.Equal(ExitCodes.ConnectFailed, result.ExitCode);
        Assert.Equal(
            $"sockcat: ws://127.0.0.1:{server.Port}/echo answered HTTP 403 Forbidden instead of upgrading to a WebSocket; a server that checks origins refuses other pages' origins: pass the Origin it expects (--origin), or none\n",
            result.Error);
    }

    [Fact]
    public async Task Connect_PythonWebsocketsServer_HeadersOriginSubprotocolAndPathArrive_MessagesComeBack()
    {
        await using var python = await PythonServerProcess.StartAsync(PythonServer);
        using var cts = new CancellationTokenSource(CliRun.TestTimeout);
        var stdin = new Pipe();
        var stdout = new Pipe();
        var (run, error) = CliRun.Start(
            stdin.Reader.AsStream(), stdout.Writer.AsStream(), cts.Token,
            "connect", $"ws://127.0.0.1:{python.Port}/feed?x=1", "--header", "X-Test: abc", "--origin", "https://app.example",
            "--subprotocol", "chat.v1", "-v");
        using var lines = new StreamReader(stdout.Reader.AsStream());

        Assert.Equal("path=/feed?x=1 header=abc origin=https://app.example proto=chat.v1", await lines.ReadLineAsync(cts.Token));
        await stdin.Writer.WriteAsync("one\ntwo\n"u8.ToArray(), cts.Token);
        Assert.Equal("ONE", await lines.ReadLineAsync(cts.Token));
        Assert.Equal("TWO", await lines.ReadLineAsync(cts.Token));
        // The end of stdin sends a normal close, and the server's answer ends the run.
        await stdin.Writer.CompleteAsync();
        var result = await run.WaitAsync(cts.Token);

        Assert.Equal(ExitCodes.Success, result.ExitCode);
        Assert.Contains($"sockcat: connected to ws://127.0.0.1:{python.Port}/feed?x=1 (WebSocket, subprotocol chat.v1)\n", error.Text);
        Assert.Contains("sockcat: 2 messages sent, 3 messages received\n", error.Text);
    }

    [Fact]
    public async Task Connect_ServerClosesWithAnErrorCode_SaysItAndExitsConnectionLost()
    {
        await using var python = await PythonServerProcess.StartAsync(PythonServer);
        using var cts = new CancellationTokenSource(CliRun.TestTimeout);
        var stdin = new Pipe();
        await stdin.Writer.WriteAsync("close 4000\n"u8.ToArray(), cts.Token);

        // stdin stays open: the server's close, not the input's end, ends the run.
        var result = await CliRun.InvokeAsync(stdin.Reader.AsStream(), "connect", $"ws://127.0.0.1:{python.Port}/");

        Assert.Equal(ExitCodes.ConnectionLost, result.ExitCode);
        Assert.EndsWith($"sockcat: ws://127.0.0.1:{python.Port}/ closed the WebSocket with 4000 \"asked to\"; see the server's log\n", result.Error);
    }

    [Fact]
    public async Task Connect_WebSocketOptionOnTcp_OneLineUsageError()
    {
        var result = await CliRun.InvokeAsync("connect", "tcp://127.0.0.1:1", "--binary");

        Assert.Equal(ExitCodes.Usage, result.ExitCode);
        Assert.Equal("sockcat: --binary is for ws:// and wss:// endpoints, and tcp://127.0.0.1:1 is not one; leave --binary out\n", result.Error);
    }

    private static async Task<EchoServer> StartEchoAsync()
    {
        var server = new SockCatServer(new ServerOptions());
        server.ListenWeb(EndpointUrl.Parse("ws://127.0.0.1:0/echo"), routes => routes.MapWebSocketEcho("/echo"));
        var bound = await server.StartAsync();
        return new EchoServer(server, bound[0].Port);
    }

    private sealed record EchoServer(SockCatServer Server, int Port) : IAsyncDisposable
    {
        public ValueTask DisposeAsync() => Server.DisposeAsync();
    }

    /// <summary>A Python program that prints its port on its first line; killed (by its PID) when the test ends.</summary>
    private sealed class PythonServerProcess(Process process, int port) : IAsyncDisposable
    {
        public int Port { get; } = port;

        public static async Task<PythonServerProcess> StartAsync(string program)
        {
            var info = new ProcessStartInfo("/usr/bin/python3") { RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false };
            info.ArgumentList.Add("-c");
            info.ArgumentList.Add(program);
            var process = Process.Start(info)!;
            using var timeout = new CancellationTokenSource(CliRun.TestTimeout);
            var line = await process.StandardOutput.ReadLineAsync(timeout.Token)
                ?? throw new InvalidOperationException($"the Python server did not start: {await process.StandardError.ReadToEndAsync(timeout.Token)}");
            return new PythonServerProcess(process, int.Parse(line));
        }

        public async ValueTask DisposeAsync()
        {
            process.Kill();
            await process.WaitForExitAsync();
            process.Dispose();
        }
    }
}
