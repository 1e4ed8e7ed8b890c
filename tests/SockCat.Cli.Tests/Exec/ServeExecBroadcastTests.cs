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
        // Paced (1,000 lines, then a pause) so that a reader that reads keeps up even on a loaded machine; the stalled
        // one reads nothing, so whatever the pace it falls behind.
        var script = Script($$"""
            #!/bin/sh
            echo ready
            while [ ! -e "{{dir}}/go" ]; do sleep 0.02; done
            i=0
            while [ $i -lt {{Lines / 1000}} ]; do seq -f "%099g" $((i * 1000 + 1)) $((i * 1000 + 1000)); i=$((i + 1)); sleep 0.005; done
            echo done
            """);
        await using var server = await StartAsync(["--broadcast"], script);
        var stalled = new Socket(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp) { ReceiveBufferSize = 4096 };
        await stalled.ConnectAsync(new System.Net.IPEndPoint(System.Net.IPAddress.Loopback, server.Port));
        using var fast = await server.ConnectAsync();
        Assert.Equal("ready", await ReadLineAsync(stalled));   // both have joined: the scrollback reached them
        Assert.Equal("ready", await ReadLineAsync(fast));

        File.WriteAllText($"{dir}/go", "");
        var (fastLines, fastMissed) = Tally((await ReadToEndAsync(fast)).Split('\n', StringSplitOptions.RemoveEmptyEntries));
        // The reading viewer's lines are in order, and with what it was told it missed they are every line.
        Assert.Equal(Lines + 2, fastLines.Count + fastMissed);
        Assert.Equal(["done", "sockcat: the program exited with code 0"], fastLines[^2..]);
        Assert.True(fastLines.SkipLast(2).Select(long.Parse).Order().SequenceEqual(fastLines.SkipLast(2).Select(long.Parse)), "the reading viewer's lines are out of order");

        var (laggedLines, laggedMissed) = Tally((await ReadToEndAsync(stalled)).Split('\n', StringSplitOptions.RemoveEmptyEntries));
        Assert.Equal(Lines + 2, laggedLines.Count + laggedMissed);
        // The stalled viewer lost lines without holding the other back: the reader lost (almost) none.
        Assert.True(laggedMissed > 0, "the stalled viewer was never told it missed lines");
        Assert.True(fastMissed * 10 < laggedMissed, $"the reading viewer missed {fastMissed} lines, the stalled one {laggedMissed}");
        stalled.Dispose();
    }

    private static (List<string> Lines, long Missed) Tally(string[] received)
    {
        var notices = received.Where(l => l.StartsWith("sockcat: missed ", StringComparison.Ordinal)).ToList();
        return (received.Where(l => !l.StartsWith("sockcat: missed ", StringComparison.Ordinal)).ToList(), notices.Sum(n => long.Parse(n.Split(' ')[2])));
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
