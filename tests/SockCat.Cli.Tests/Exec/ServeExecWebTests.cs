using System.Diagnostics;
using System.Text.RegularExpressions;
using static SockCat.Cli.Tests.Exec.ExecServer;

namespace SockCat.Cli.Tests.Exec;

/// <summary>`serve exec --web`: Server-Sent Events read by curl, and the WebSocket read by a websocketd client.</summary>
[System.Runtime.Versioning.UnsupportedOSPlatform("windows")]
public sealed partial class ServeExecWebTests
{
    [Fact]
    public async Task Events_WithCurl_StdoutStderrExit_ResumeFromLastEventId_ThenNoContent()
    {
        var dir = Directory.CreateTempSubdirectory("sockcat-exec-").FullName;
        var script = Script($$"""
            #!/bin/sh
            echo a; echo b >&2; echo c
            while [ ! -e "{{dir}}/go" ]; do sleep 0.02; done
            echo d
            exit 4
            """);
        await using var server = await StartAsync(["--broadcast", "--stderr", "merge", "--web", "http://127.0.0.1:0/"], script);
        var web = WebPort(server);

        // A first viewer reads the three lines, then goes away. stdout and stderr are two pipes read apart: their
        // lines may interleave either way, but each gets the next number.
        var first = Events(await CurlUntilAsync(web, [], events: 3));
        Assert.Equal(["0", "1", "2"], first.Select(e => e.Id));
        Assert.Equal(["stderr b", "stdout a", "stdout c"], first.Select(e => $"{e.Name} {e.Data}").Order());
        Assert.True(first.FindIndex(e => e.Data == "a") < first.FindIndex(e => e.Data == "c"));

        // It comes back having seen id 1: id 2 again from the scrollback, then what is new, then the exit; the stream ends.
        var resumed = Curl(web, ["-H", "Last-Event-ID: 1"]);
        await server.WaitForLogAsync("Connection accepted", 2);
        File.WriteAllText($"{dir}/go", "");
        var rest = Events((await resumed).Output);
        Assert.Equal([first[2], ("3", "stdout", "d"), ("4", "exit", "exited with code 4")], rest);

        // Seen it all: 204, which makes a browser's EventSource stop reconnecting.
        var done = await Curl(web, ["-H", "Last-Event-ID: 4", "-o", "/dev/null", "-w", "%{http_code}"]);
        Assert.Equal("204", done.Output);
    }

    [Fact]
    public async Task WebSocket_AsWebsocketdClientsUseIt_LinesBothWays_CloseReasonGivesTheExit()
    {
        await using var server = await StartAsync(["--shell", "--web", "http://127.0.0.1:0/"], "echo first; read l; echo \"got $l\"; exit 5");
        var web = WebPort(server);
        // Debian's python3-websockets: a WebSocket client nobody here wrote (test.sh installs it).
        var result = await Run("/usr/bin/python3", ["-c", $$"""
            import asyncio, websockets
            async def main():
                async with websockets.connect("ws://127.0.0.1:{{web}}/") as ws:
                    print(await ws.recv())
                    await ws.send("hello")
                    print(await ws.recv())
                    try:
                        await ws.recv()
                    except websockets.ConnectionClosed as e:
                        print(e.code, e.reason)
            asyncio.run(main())
            """]);
        Assert.Equal("first\ngot hello\n1000 the program exited with code 5\n", result.Output);
    }

    [Fact]
    public async Task Token_WebSocketAndEventsRefusedWithout_PageServed()
    {
        await using var server = await StartAsync(["--token", "s3cret", "--web", "http://127.0.0.1:0/"], "cat");
        var web = WebPort(server);
        Assert.Equal("401", (await Curl(web, ["-o", "/dev/null", "-w", "%{http_code}"])).Output);
        Assert.Equal("200", (await Run("curl", ["-s", "-o", "/dev/null", "-w", "%{http_code}", $"http://127.0.0.1:{web}/"])).Output);
        var withToken = await Run("curl", ["-sN", "--max-time", "20", "-H", "Authorization: Bearer s3cret", $"http://127.0.0.1:{web}/events"]);
        Assert.Equal("event: exit\nid: 0\ndata: exited with code 0\n\nretry: 86400000\n\n", withToken.Output);   // cat, its stdin empty
        await server.WaitForLogAsync("Started cat");
        Assert.Equal(1, Occurrences(server.Log.Text, "Started cat"));   // the refused requests started nothing
    }

    private static int WebPort(ExecServer server) => int.Parse(HttpLine().Match(server.Error.Text).Groups[1].Value);

    private static Task<(int Code, string Output)> Curl(int port, string[] flags) =>
        Run("curl", ["-sN", "--max-time", "20", .. flags, $"http://127.0.0.1:{port}/events"]);

    private static List<(string Id, string Name, string Data)> Events(string stream) =>
        stream.Split("\n\n", StringSplitOptions.RemoveEmptyEntries).Select(e =>
        {
            var fields = e.Split('\n').Select(l => l.Split(": ", 2)).ToDictionary(f => f[0], f => f[1]);
            return (fields["id"], fields["event"], fields["data"]);
        }).ToList();

    /// <summary>Runs curl on /events until it has <paramref name="events"/> events, then kills it (by PID).</summary>
    private static async Task<string> CurlUntilAsync(int port, string[] flags, int events)
    {
        using var curl = Process.Start(Info("curl", ["-sN", .. flags, $"http://127.0.0.1:{port}/events"]))!;
        var text = new System.Text.StringBuilder();
        var buffer = new char[4096];
        using var timeout = new CancellationTokenSource(CliRun.TestTimeout);
        while (Occurrences(text.ToString(), "\n\n") < events)
        {
            var n = await curl.StandardOutput.ReadAsync(buffer, timeout.Token);
            Assert.NotEqual(0, n);
            text.Append(buffer, 0, n);
        }

        curl.Kill();
        await curl.WaitForExitAsync();
        return text.ToString();
    }

    private static async Task<(int Code, string Output)> Run(string program, string[] args)
    {
        using var process = Process.Start(Info(program, args))!;
        using var timeout = new CancellationTokenSource(CliRun.TestTimeout);
        var output = await process.StandardOutput.ReadToEndAsync(timeout.Token);
        await process.WaitForExitAsync(timeout.Token);
        return (process.ExitCode, output);
    }

    private static ProcessStartInfo Info(string program, string[] args)
    {
        var info = new ProcessStartInfo(program) { RedirectStandardOutput = true, UseShellExecute = false };
        foreach (var arg in args)
        {
            info.ArgumentList.Add(arg);
        }

        return info;
    }

    [GeneratedRegex(@"listening on http://127\.0\.0\.1:(\d+)/")]
    private static partial Regex HttpLine();
}
