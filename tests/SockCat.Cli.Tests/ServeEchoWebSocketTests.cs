using System.Diagnostics;

namespace SockCat.Cli.Tests;

/// <summary>
/// `sockcat serve echo ws://...` as a real process, against a WebSocket client nobody here wrote: Python's websockets
/// (Debian's python3-websockets, run by /usr/bin/python3, which sees Debian's packages; test.sh installs it).
/// </summary>
public sealed class ServeEchoWebSocketTests
{
    private const string Client = """
        import asyncio, sys, websockets
        async def main(url, origin):
            async with websockets.connect(url, origin=origin or None) as ws:
                await ws.send("hello, sockcat")
                print("text", await ws.recv())
                await ws.send(b"\x00\x01\xff")
                print("binary", (await ws.recv()).hex())
                await ws.send(["frag", "men", "ted"])
                print("fragmented", await ws.recv())
        try:
            asyncio.run(main(sys.argv[1], sys.argv[2] if len(sys.argv) > 2 else None))
        except websockets.exceptions.InvalidStatusCode as e:
            print("refused", e.status_code)
        """;

    private static async Task<string> RunPythonClientAsync(params string[] args)
    {
        var info = new ProcessStartInfo("/usr/bin/python3") { RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false };
        info.ArgumentList.Add("-c");
        info.ArgumentList.Add(Client);
        foreach (var arg in args)
        {
            info.ArgumentList.Add(arg);
        }

        using var process = Process.Start(info)!;
        using var timeout = new CancellationTokenSource(CliRun.TestTimeout);
        var stdout = process.StandardOutput.ReadToEndAsync(timeout.Token);
        var stderr = process.StandardError.ReadToEndAsync(timeout.Token);
        await process.WaitForExitAsync(timeout.Token);
        Assert.True(process.ExitCode == 0, await stderr);
        return await stdout;
    }

    private static async Task<string> WaitForWebSocketUrlAsync(SockcatProcess server)
    {
        using var timeout = new CancellationTokenSource(CliRun.TestTimeout);
        while (await server.Stderr.ReadLineAsync(timeout.Token) is { } line)
        {
            if (line.StartsWith("sockcat: listening on ws://", StringComparison.Ordinal))
            {
                return line["sockcat: listening on ".Length..];
            }
        }

        throw new InvalidOperationException("serve echo never announced its ws:// endpoint");
    }

    [Fact]
    public async Task ServeEchoWs_PythonWebsocketsClient_GetsTextBinaryAndFragmentedMessagesBack()
    {
        await using var server = SockcatProcess.Start(["serve", "echo", "ws://127.0.0.1:0/"]);
        var url = await WaitForWebSocketUrlAsync(server);

        var output = await RunPythonClientAsync(url);

        Assert.Equal("text hello, sockcat\nbinary 0001ff\nfragmented fragmented\n", output);
    }

    [Fact]
    public async Task ServeEchoWs_OriginOption_LetsThatOriginInAndNoOther()
    {
        await using var server = SockcatProcess.Start(["serve", "echo", "ws://127.0.0.1:0/chat", "--origin", "https://app.example"]);
        var url = await WaitForWebSocketUrlAsync(server);

        Assert.StartsWith("text hello", await RunPythonClientAsync(url, "https://app.example"));
        Assert.Equal("refused 403\n", await RunPythonClientAsync(url, "https://elsewhere.example"));
    }

    [Fact]
    public async Task ServeEcho_BadOrigin_UsageError()
    {
        var result = await CliRun.InvokeAsync("serve", "echo", "--origin", "example.com", "ws://127.0.0.1:0/");

        Assert.Equal(ExitCodes.Usage, result.ExitCode);
        Assert.Equal("sockcat: --origin 'example.com' is not an origin; write scheme://host[:port] as a browser sends it, e.g. --origin https://example.com\n", result.Error);
    }
}
