using System.Net.Sockets;
using System.Security.Cryptography;
using static SockCat.Cli.Tests.Exec.ExecServer;

namespace SockCat.Cli.Tests.Exec;

/// <summary>
/// `serve exec --direct`: the client's socket is the program's stdout itself (blocking, as programs expect), its input
/// still reaches the program's stdin through the server, the client's end of input still closes it, the connection
/// ends after the program's last byte when it exits, and a client that leaves still takes the program and what it
/// started with it. Where the transport cannot lend its socket (Kestrel's), the output is relayed as without the flag.
/// </summary>
[System.Runtime.Versioning.UnsupportedOSPlatform("windows")]
public sealed class ServeExecDirectTests
{
    private const string Probe = """
        import os, stat, sys
        kind = "socket" if stat.S_ISSOCK(os.fstat(1).st_mode) else "pipe" if stat.S_ISFIFO(os.fstat(1).st_mode) else "other"
        print(kind, "blocking" if os.get_blocking(1) else "nonblocking", flush=True)
        print(sys.stdin.readline().strip().upper(), flush=True)
        sys.exit(3)
        """;

    [Fact]
    public async Task Direct_StdoutIsTheClientsBlockingSocket_InputStillReachesStdin_EndsAfterTheLastByteWhenItExits()
    {
        await using var server = await StartAsync(["--direct"], "/usr/bin/python3", "-c", Probe);
        using var client = await server.ConnectAsync();
        Assert.Equal("socket blocking", await ReadLineAsync(client));
        await client.SendAsync("hello\n"u8.ToArray());
        Assert.Equal("HELLO\n", await ReadToEndAsync(client));
        await server.WaitForLogAsync("exited with code 3");
        await server.WaitForLogAsync("A client disconnected");
        Assert.Equal(0, await server.StopAsync());
        // The program's 22 bytes never passed through the server, yet its totals have them (the TCP socket's own count).
        Assert.Contains("served 1 connection, 6 B in, 22 B out", server.Error.Text);
    }

    [Fact]
    public async Task Direct_OnKestrelsTransport_RelayedThroughAPipeAsWithoutIt()
    {
        await using var server = await StartAsync(["--direct", "--transport", "kestrel"], "/usr/bin/python3", "-c", Probe);
        using var client = await server.ConnectAsync();
        Assert.Equal("pipe blocking", await ReadLineAsync(client));
        await client.SendAsync("hello\n"u8.ToArray());
        Assert.Equal("HELLO\n", await ReadToEndAsync(client));
    }

    [Fact]
    public async Task Direct_ClientHalfCloses_ProgramSeesTheEndOfItsInput_ItsAnswerStillArrives()
    {
        await using var server = await StartAsync(["--direct"], "/usr/bin/wc", "-c");
        using var client = await server.ConnectAsync();
        await client.SendAsync(new byte[100_000]);
        client.Shutdown(SocketShutdown.Send);
        Assert.Equal("100000\n", await ReadToEndAsync(client));
    }

    [Fact]
    public async Task Direct_ClientReadsLate_EveryByteArrivesInOrder()
    {
        // 16 MiB, four times what loopback's socket buffers hold at most: the program blocks in its own writes until the
        // client reads, and nothing is dropped or reordered.
        const int Total = 16 * 1024 * 1024;
        await using var server = await StartAsync(["--direct"], "/usr/bin/python3", "-c", $$"""
            import os, random
            random.seed(7)
            view = memoryview(random.randbytes({{Total}}))
            while view:
                view = view[os.write(1, view):]
            """);
        using var client = await server.ConnectAsync();
        await Task.Delay(1000);
        var received = new MemoryStream();
        var buffer = new byte[64 * 1024];
        using var timeout = new CancellationTokenSource(CliRun.TestTimeout);
        int n;
        while ((n = await client.ReceiveAsync(buffer, timeout.Token)) > 0)
        {
            received.Write(buffer, 0, n);
        }

        var expected = System.Diagnostics.Process.Start(new System.Diagnostics.ProcessStartInfo("/usr/bin/python3", ["-c", $"import random, sys; random.seed(7); sys.stdout.buffer.write(random.randbytes({Total}))"]) { RedirectStandardOutput = true })!;
        var want = new MemoryStream();
        await expected.StandardOutput.BaseStream.CopyToAsync(want);
        await expected.WaitForExitAsync();
        Assert.Equal(Total, received.Length);
        Assert.Equal(SHA256.HashData(want.ToArray()), SHA256.HashData(received.ToArray()));
    }

    [Fact]
    public async Task Direct_ClientLeaves_ProgramAndItsGrandchildAreGone()
    {
        await using var server = await StartAsync(["--direct", "--kill-after", "0.2", "--shell"], "sleep 300 & echo $$ $!; wait");
        using var client = await server.ConnectAsync();
        var ids = (await ReadLineAsync(client))!.Split(' ').Select(int.Parse).ToArray();
        Assert.All(ids, pid => Assert.True(Exists(pid)));
        Reset(client);   // gone for good: a FIN alone is the end of its input, which the program may outlive
        await Until(() => !ids.Any(Exists), "the program and its grandchild to be gone");
        await server.WaitForLogAsync("killed by SIGTERM");
    }

    [Fact]
    public async Task Direct_ServerStopsWhileTheProgramWrites_TheSocketIsShutForItToo_ItEndsAtOnceNotAfterKillAfter()
    {
        // Closing the server's descriptor alone would leave the client connected to the program, which holds the
        // socket too: yes would go on writing for the 30 s grace. Shut down both ways, its next write fails (SIGPIPE).
        await using var server = await StartAsync(["--direct", "--kill-after", "30", "--drain", "0.2"], "yes");
        using var client = await server.ConnectAsync();
        var reading = Task.Run(async () =>
        {
            var buffer = new byte[64 * 1024];
            long total = 0;
            int n;
            while ((n = await client.ReceiveAsync(buffer)) > 0)
            {
                total += n;
            }

            return total;
        });
        await Until(() => server.Log.Text.Contains("Started yes", StringComparison.Ordinal), "the program to start");
        await Task.Delay(200);
        var stopping = System.Diagnostics.Stopwatch.StartNew();
        Assert.Equal(0, await server.StopAsync());
        Assert.InRange(stopping.Elapsed, TimeSpan.Zero, TimeSpan.FromSeconds(10));
        Assert.True(await reading.WaitAsync(CliRun.TestTimeout) > 0);
        Assert.Contains("killed by SIGPIPE", server.Log.Text);
    }

    [Theory]
    [InlineData("--pty")]
    [InlineData("--broadcast")]
    [InlineData("--stderr", "merge")]
    [InlineData("--idle-timeout", "60")]
    public async Task Usage_DirectWithAnOptionThatNeedsTheRelay_RefusedInOneLine(params string[] other)
    {
        var result = await CliRun.InvokeAsync(["serve", "exec", "tcp://127.0.0.1:0", "--direct", .. other, "--", "cat"]);
        Assert.Equal(ExitCodes.Usage, result.ExitCode);
        Assert.Equal($"sockcat: --direct hands the program the client's socket, which {string.Join(' ', other.Take(other[0] == "--stderr" ? 2 : 1))} needs the relay for; use one or the other\n", result.Error);
    }
}
