using System.Net.Sockets;
using static SockCat.Cli.Tests.Exec.ExecServer;

namespace SockCat.Cli.Tests.Exec;

/// <summary>`serve exec --broadcast`: one program, many viewers.</summary>
[System.Runtime.Versioning.UnsupportedOSPlatform("windows")]
public sealed class ServeExecBroadcastTests
{
    [Fact]
    public async Task LateJoiner_GetsTheScrollbackThenLiveLines_BothSeeTheSameLinesAfter()
    {
        // The program prints line i once the test has made go-i: the test decides what is old and what is live.
        var dir = Directory.CreateTempSubdirectory("sockcat-exec-").FullName;
        var script = Script($$"""
            #!/bin/sh
            for i in 1 2 3 4 5 6 7; do
              while [ ! -e "{{dir}}/go-$i" ]; do sleep 0.02; done
              echo "line $i"
            done
            """);
        await using var server = await StartAsync(["--broadcast", "--scrollback", "3"], script);
        using var first = await server.ConnectAsync();
        await server.WaitForLogAsync("Started prog.sh");
        for (var i = 1; i <= 5; i++)
        {
            File.WriteAllText($"{dir}/go-{i}", "");
            Assert.Equal($"line {i}", await ReadLineAsync(first));
        }

        using var late = await server.ConnectAsync();
        Assert.Equal("line 3", await ReadLineAsync(late));   // the last three lines: context for the late joiner
        Assert.Equal("line 4", await ReadLineAsync(late));
        Assert.Equal("line 5", await ReadLineAsync(late));

        File.WriteAllText($"{dir}/go-6", "");
        Assert.Equal("line 6", await ReadLineAsync(first));
        Assert.Equal("line 6", await ReadLineAsync(late));
        File.WriteAllText($"{dir}/go-7", "");
        Assert.Equal("line 7\nsockcat: the program exited with code 0\n", await ReadToEndAsync(late));
        Assert.Equal(1, Occurrences(server.Log.Text, "Started prog.sh"));
    }

    [Fact]
    public async Task StalledReader_DoesNotSlowTheOthers_IsToldHowManyLinesItMissed()
    {
        const int Lines = 200_000;   // 20 MB: far more than the stalled viewer's socket buffers hold
        var dir = Directory.CreateTempSubdirectory("sockcat-exec-").FullName;
        var script = Script($$"""
            #!/bin/sh
            echo ready
            while [ ! -e "{{dir}}/go" ]; do sleep 0.02; done
            seq -f "%099g" 1 {{Lines}}
            echo done
            """);
        await using var server = await StartAsync(["--broadcast"], script);
        var stalled = new Socket(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp) { ReceiveBufferSize = 4096 };
        await stalled.ConnectAsync(new System.Net.IPEndPoint(System.Net.IPAddress.Loopback, server.Port));
        using var fast = await server.ConnectAsync();
        Assert.Equal("ready", await ReadLineAsync(stalled));   // both have joined: the scrollback reached them
        Assert.Equal("ready", await ReadLineAsync(fast));

        File.WriteAllText($"{dir}/go", "");
        var seen = (await ReadToEndAsync(fast)).Split('\n', StringSplitOptions.RemoveEmptyEntries);
        // The fast viewer got every line, in order, while the stalled one read nothing.
        Assert.Equal(Lines + 2, seen.Length);
        Assert.Equal(Enumerable.Range(1, Lines).Select(i => i.ToString("D99")), seen[..Lines]);
        Assert.Equal(["done", "sockcat: the program exited with code 0"], seen[Lines..]);

        var lagged = (await ReadToEndAsync(stalled)).Split('\n', StringSplitOptions.RemoveEmptyEntries);
        var notices = lagged.Where(l => l.StartsWith("sockcat: missed ", StringComparison.Ordinal)).ToList();
        Assert.NotEmpty(notices);
        var missed = notices.Sum(n => long.Parse(n.Split(' ')[2]));
        Assert.Equal(Lines + 2, lagged.Length - notices.Count + missed);
        stalled.Dispose();
    }

    [Fact]
    public async Task Restart_ProgramStartedAgain_ViewersToldAndKept()
    {
        await using var server = await StartAsync(["--broadcast", "--restart", "--shell"], "echo run; exit 3");
        using var viewer = await server.ConnectAsync();
        await server.WaitForLogAsync("Started sh -c", 2);
        var lines = new List<string?>();
        while (lines.Count(l => l == "run") < 2)
        {
            lines.Add(await ReadLineAsync(viewer));
        }

        Assert.Contains("sockcat: the program exited with code 3; restarting in 1 s", lines);
    }

    [Fact]
    public async Task BroadcastInput_ViewersLinesReachTheOneProgram()
    {
        await using var server = await StartAsync(["--broadcast", "--broadcast-input", "--shell"], "while read l; do echo \"heard $l\"; done");
        using var a = await server.ConnectAsync();
        using var b = await server.ConnectAsync();
        await server.WaitForLogAsync("Started sh -c");
        await a.SendAsync("from a\n"u8.ToArray());
        Assert.Equal("heard from a", await ReadLineAsync(b));
        await b.SendAsync("from b\n"u8.ToArray());
        Assert.Equal("heard from a", await ReadLineAsync(a));
        Assert.Equal("heard from b", await ReadLineAsync(a));
    }
}
