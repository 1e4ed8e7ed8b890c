using System.Net.Sockets;
using System.Text;
using static SockCat.Cli.Tests.Exec.ExecServer;

namespace SockCat.Cli.Tests.Exec;

/// <summary>`serve exec` in per-client mode, with real programs and real loopback clients.</summary>
[System.Runtime.Versioning.UnsupportedOSPlatform("windows")]
public sealed class ServeExecPerClientTests
{
    [Fact]
    public async Task LinesWithPauses_EachArrivesBeforeTheNextIsPrinted()
    {
        // The program prints a line, then waits (polling, with pauses) until the test has seen that line at the
        // client before printing the next: output held back anywhere (the server, the pipe) deadlocks it, and the
        // test times out instead of passing.
        var dir = Directory.CreateTempSubdirectory("sockcat-exec-").FullName;
        var script = Script($$"""
            #!/bin/sh
            for i in 1 2 3 4 5; do
              touch "{{dir}}/printed-$i"
              echo "line $i"
              while [ ! -e "{{dir}}/seen-$i" ]; do sleep 0.02; done
            done
            """);
        await using var server = await StartAsync([], script);
        using var client = await server.ConnectAsync();
        for (var i = 1; i <= 5; i++)
        {
            Assert.Equal($"line {i}", await ReadLineAsync(client));
            Assert.True(File.Exists($"{dir}/printed-{i}"));
            Assert.False(File.Exists($"{dir}/printed-{i + 1}"), $"line {i + 1} was printed before line {i} reached the client");
            File.WriteAllText($"{dir}/seen-{i}", "");
        }

        Assert.Null(await ReadLineAsync(client));   // the program exited: closed after its last byte
        await server.WaitForLogAsync("exited with code 0");
    }

    [Fact]
    public async Task ProgramWritesFasterThanClientReads_HeldBackThroughItsPipe_NothingLostOrCut()
    {
        // 512 blocks of 64 KiB (32 MiB), the program counting them in a file as each write returns, to a client that
        // reads nothing at first: the count must stop well short (held back: the pipe is not read while the client's
        // queue is full) and every byte must arrive once the client reads (never cut as a slow consumer).
        var count = Path.Combine(Directory.CreateTempSubdirectory("sockcat-exec-").FullName, "count");
        var script = Script($$"""
            #!/usr/bin/python3
            import os
            block = b"x" * 65536
            for i in range(512):
                os.write(1, block)
                with open("{{count}}", "w") as f:
                    f.write(str(i + 1))
            """);
        await using var server = await StartAsync([], script);
        using var client = await server.ConnectAsync();
        // Fixed, so that loopback's autotuning (up to 32 MiB here) does not take the whole output into the kernel.
        client.ReceiveBufferSize = 64 * 1024;
        long Written() => long.TryParse(File.Exists(count) ? File.ReadAllText(count) : "0", out var n) ? n : 0;

        await SockCat.Testing.Settling.WaitUntilStableAsync(Written, "the program to be held back");

        Assert.InRange(Written(), 1, 511);
        var received = 0L;
        var buffer = new byte[64 * 1024];
        int got;
        while ((got = await client.ReceiveAsync(buffer.AsMemory()).AsTask().WaitAsync(TimeSpan.FromSeconds(30))) > 0)
        {
            Assert.True(buffer.AsSpan(0, got).IndexOfAnyExcept((byte)'x') < 0, "a byte other than the program's");
            received += got;
        }

        Assert.Equal(512L * 65536, received);
        Assert.Equal(512, Written());
        await server.WaitForLogAsync("exited with code 0");
        Assert.DoesNotContain("slow consumer", server.Error.Text + server.Log.Text, StringComparison.Ordinal);
    }

    [Fact]
    public async Task StdinAnswered_HalfCloseEndsProgram_ExitCodeLogged()
    {
        await using var server = await StartAsync(["--shell"], "while read l; do echo \"you said $l\"; done; echo bye; exit 7");
        using var client = await server.ConnectAsync();
        await client.SendAsync("one\n"u8.ToArray());
        Assert.Equal("you said one", await ReadLineAsync(client));
        await client.SendAsync("two\n"u8.ToArray());
        Assert.Equal("you said two", await ReadLineAsync(client));

        client.Shutdown(SocketShutdown.Send);   // the client's FIN: the program's stdin ends, its output still flows
        Assert.Equal("bye\n", await ReadToEndAsync(client));
        await server.WaitForLogAsync("exited with code 7");
        Assert.Contains("Started sh -c (pid ", server.Log.Text);
    }

    [Fact]
    public async Task ProgramNotReadingStdin_ClientHeldBack_ThenAllOfItArrives_HalfCloseEndsIt()
    {
        // 16 MiB to a program that reads nothing until the test says so: the client's sends must stall well short of it
        // (the server keeps at most a read's worth for the full pipe and stops reading the client, so TCP's window holds
        // the client back; a server that buffered the input would take it all), then every byte must reach the program
        // in order once it reads, and the client's FIN must still end its stdin.
        var dir = Directory.CreateTempSubdirectory("sockcat-exec-").FullName;
        var script = Script($$"""
            #!/usr/bin/python3
            import hashlib, os, time
            while not os.path.exists("{{dir}}/go"):
                time.sleep(0.02)
            digest, total = hashlib.sha256(), 0
            while True:
                block = os.read(0, 65536)
                if not block:
                    break
                digest.update(block)
                total += len(block)
            print(total, digest.hexdigest(), flush=True)
            """);
        await using var server = await StartAsync([], script);
        using var client = await server.ConnectAsync();
        client.SendBufferSize = 64 * 1024;
        var input = new byte[16 << 20];
        new Random(17).NextBytes(input);
        var sent = 0L;
        var sending = Task.Run(async () =>
        {
            for (var at = 0; at < input.Length; at += 64 * 1024)
            {
                await client.SendAsync(input.AsMemory(at, 64 * 1024));
                Interlocked.Add(ref sent, 64 * 1024);
            }
        });

        await SockCat.Testing.Settling.WaitUntilStableAsync(() => Interlocked.Read(ref sent), "the client to be held back");
        Assert.False(sending.IsCompleted, "the server took all 16 MiB while the program read none of it");
        Assert.InRange(Interlocked.Read(ref sent), 1, 8 << 20);

        File.WriteAllText($"{dir}/go", "");
        await sending.WaitAsync(CliRun.TestTimeout);
        client.Shutdown(SocketShutdown.Send);
        Assert.Equal($"{input.Length} {Convert.ToHexStringLower(System.Security.Cryptography.SHA256.HashData(input))}", await ReadLineAsync(client));
        Assert.Null(await ReadLineAsync(client));
        await server.WaitForLogAsync("exited with code 0");
    }

    [Fact]
    public async Task ProgramClosesItsStdin_FurtherInputDropped_ClientNotHeldBack()
    {
        // The program takes one line and closes its stdin: what the client sends after that has nowhere to go (the
        // pipe's reader is gone) and is dropped, not kept, and the client is read on, so its 4 MiB all leave it while
        // the program still runs and its last line still arrives.
        var dir = Directory.CreateTempSubdirectory("sockcat-exec-").FullName;
        await using var server = await StartAsync(["--shell"], $"head -n 1; exec 0<&-; echo closed; while [ ! -e {dir}/go ]; do sleep 0.02; done; echo done");
        using var client = await server.ConnectAsync();
        await client.SendAsync("first\n"u8.ToArray());
        Assert.Equal("first", await ReadLineAsync(client));
        Assert.Equal("closed", await ReadLineAsync(client));

        var block = new byte[64 * 1024];
        for (var i = 0; i < 64; i++)
        {
            await client.SendAsync(block).WaitAsync(CliRun.TestTimeout);
        }

        File.WriteAllText($"{dir}/go", "");
        Assert.Equal("done", await ReadLineAsync(client));
        await server.WaitForLogAsync("exited with code 0");
    }

    [Fact]
    public async Task InputAndEndBeforeTheProgramStarts_BothReachIt()
    {
        // The token line, the input and the FIN in one go: the bytes come with the admission, before the program
        // exists, and are kept for it, and so is the end of its input.
        await using var server = await StartAsync(["--token", "s3cret"], "cat");
        using var client = await server.ConnectAsync();
        await client.SendAsync("s3cret\nfirst\nsecond\n"u8.ToArray());
        client.Shutdown(SocketShutdown.Send);
        Assert.Equal("first\nsecond\n", await ReadToEndAsync(client));
        await server.WaitForLogAsync("exited with code 0");
    }

    [Fact]
    public async Task ProgramClosesStdout_ConnectionHalfClosed_InputStillReachesIt()
    {
        var dir = Directory.CreateTempSubdirectory("sockcat-exec-").FullName;
        await using var server = await StartAsync(["--shell", "--kill-after", "30"], $"echo closing; exec 1>&-; cat > {dir}/input");
        using var client = await server.ConnectAsync();
        Assert.Equal("closing\n", await ReadToEndAsync(client));   // end of stream while the program runs on

        await client.SendAsync("after\n"u8.ToArray());
        client.Shutdown(SocketShutdown.Send);
        await server.WaitForLogAsync("exited with code 0");
        Assert.Equal("after\n", File.ReadAllText($"{dir}/input"));
    }

    [Fact]
    public async Task ClientGone_ProgramIgnoringSigterm_AndItsGrandchild_BothKilledAndReaped()
    {
        var script = Script("""
            #!/bin/bash
            trap '' TERM
            bash -c 'trap "" TERM; while :; do sleep 0.05; done' &
            echo "$$ $!"
            while :; do sleep 0.05; done
            """);
        await using var server = await StartAsync(["--kill-after", "0.5"], script);
        var client = await server.ConnectAsync();
        var pids = (await ReadLineAsync(client))!.Split(' ').Select(int.Parse).ToArray();
        Assert.All(pids, pid => Assert.True(Exists(pid)));

        Reset(client);
        await server.WaitForLogAsync("killed by SIGKILL");
        await Until(() => !pids.Any(Exists), "the program and its grandchild to be gone and reaped");
        Assert.DoesNotContain(pids, OurZombies().Contains);
    }

    [Fact]
    public async Task HundredConnectDisconnectCycles_LeaveNoProcessAndNoZombie()
    {
        await using var server = await StartAsync([], "cat");
        for (var i = 0; i < 100; i++)
        {
            using var client = await server.ConnectAsync();
            var line = Encoding.ASCII.GetBytes($"cycle {i}\n");
            await client.SendAsync(line);
            Assert.Equal($"cycle {i}", await ReadLineAsync(client));
            if (i % 2 == 0)
            {
                client.Shutdown(SocketShutdown.Send);   // half the clients say they are done; cat ends on its own
                Assert.Null(await ReadLineAsync(client));
            }
            else
            {
                Reset(client);                          // the others vanish; cat is killed
            }
        }

        await server.WaitForLogAsync("Program (pid ", 100);
        var pids = StartedPids(server.Log.Text);
        Assert.Equal(100, pids.Count);
        await Until(() => !pids.Any(Exists), "every cat to be gone and reaped");
        Assert.Empty(OurZombies().Intersect(pids));
    }

    [Fact]
    public async Task MaxProcs_ClientOverTheBound_ToldInOneLine_NothingStarted()
    {
        await using var server = await StartAsync(["--max-procs", "2"], "cat");
        using var first = await server.ConnectAsync();
        using var second = await server.ConnectAsync();
        await server.WaitForLogAsync("Started cat", 2);

        using var third = await server.ConnectAsync();
        Assert.Equal("sockcat: 2 programs are running, the most this server runs at once; try again later\n", await ReadToEndAsync(third));
        Assert.Equal(2, Occurrences(server.Log.Text, "Started cat"));
        await Until(() => server.Error.Text.Contains("Refused 127.0.0.1:", StringComparison.Ordinal), "the refusal in the log");   // written by the log's own task

        first.Shutdown(SocketShutdown.Send);
        await server.WaitForLogAsync("exited with code 0");
        using var fourth = await server.ConnectAsync();
        await fourth.SendAsync("room again\n"u8.ToArray());
        Assert.Equal("room again", await ReadLineAsync(fourth));
    }

    [Fact]
    public async Task FiftyConcurrentClients_EachGetsItsOwnProgram()
    {
        await using var server = await StartAsync([], "cat");
        var clients = await Task.WhenAll(Enumerable.Range(0, 50).Select(async i =>
        {
            var client = await server.ConnectAsync();
            await client.SendAsync(Encoding.ASCII.GetBytes($"client {i}\n"));
            return client;
        }));
        var answers = await Task.WhenAll(clients.Select(c => ReadLineAsync(c)));
        Assert.Equal(Enumerable.Range(0, 50).Select(i => $"client {i}"), answers);
        await server.WaitForLogAsync("Started cat", 50);   // the log is written by a task of its own, maybe after the output
        Assert.Equal(50, StartedPids(server.Log.Text).Distinct().Count());
        foreach (var client in clients)
        {
            client.Shutdown(SocketShutdown.Send);
            client.Dispose();
        }

        await server.WaitForLogAsync("exited with code 0", 50);
    }

    [Fact]
    public async Task Token_WrongOneRefusedWithNothingStarted_RightOneServed()
    {
        await using var server = await StartAsync(["--token", "s3cret"], "cat");
        using (var wrong = await server.ConnectAsync())
        {
            await wrong.SendAsync("guess\nhello\n"u8.ToArray());
            Assert.Equal("sockcat: wrong token; send the server's token as the first line\n", await ReadToEndAsync(wrong));
        }

        using var right = await server.ConnectAsync();
        await right.SendAsync("s3cret\r\nhello\n"u8.ToArray());
        Assert.Equal("hello", await ReadLineAsync(right));
        await server.WaitForLogAsync("Started cat");
        Assert.Equal(1, Occurrences(server.Log.Text, "Started cat"));
    }

    [Fact]
    public async Task Environment_CgiVariablesSet_ServerSecretsKept_EnvPassesOne()
    {
        Environment.SetEnvironmentVariable("SOCKCAT_TEST_SECRET", "hush");
        Environment.SetEnvironmentVariable("SOCKCAT_TEST_PASSED", "shown");
        await using var server = await StartAsync(["--shell", "--env", "SOCKCAT_TEST_PASSED"],
            "echo \"$REMOTE_ADDR $REMOTE_PORT $SERVER_PORT $SERVER_PROTOCOL [$SOCKCAT_TEST_SECRET] [$SOCKCAT_TEST_PASSED]\"");
        using var client = await server.ConnectAsync();
        var local = (System.Net.IPEndPoint)client.LocalEndPoint!;
        Assert.Equal($"127.0.0.1 {local.Port} {server.Port} TCP [] [shown]", await ReadLineAsync(client));
    }

    [Fact]
    public async Task StderrMerged_ReachesTheClient_AndIsLoggedWithTheAddressOtherwise()
    {
        await using (var merged = await StartAsync(["--shell", "--stderr", "merge"], "echo out; echo err >&2"))
        {
            using var client = await merged.ConnectAsync();
            var all = await ReadToEndAsync(client);
            Assert.Contains("out\n", all);
            Assert.Contains("err\n", all);
        }

        await using var logged = await StartAsync(["--shell"], "echo err >&2; echo out");
        using var other = await logged.ConnectAsync();
        Assert.Equal("out\n", await ReadToEndAsync(other));
        await logged.WaitForLogAsync("stderr: err");
        Assert.Contains($"[127.0.0.1:{((System.Net.IPEndPoint)other.LocalEndPoint!).Port}] stderr: err", logged.Log.Text);
    }

    [Fact]
    public async Task Usage_NoProgram_UnknownProgram_NonLoopbackWarning()
    {
        var none = await CliRun.InvokeAsync("serve", "exec", "tcp://127.0.0.1:0");
        Assert.Equal(ExitCodes.Usage, none.ExitCode);
        Assert.Equal("sockcat: no program to run; give it after --, e.g. sockcat serve exec tcp://127.0.0.1:5000 -- python3 job.py\n", none.Error);

        var missing = await CliRun.InvokeAsync("serve", "exec", "tcp://127.0.0.1:0", "--", "no-such-program-here");
        Assert.Equal(ExitCodes.Usage, missing.ExitCode);
        Assert.Equal("sockcat: program 'no-such-program-here' not found on PATH; give its path, or install it\n", missing.Error);

        // Only the warning is checked: --allow keeps every other host out while the port is open.
        await using var server = await StartOnAsync("tcp://0.0.0.0:0", ["--allow", "127.0.0.1"], "cat");
        Assert.Contains("sockcat: warning: tcp://0.0.0.0:", server.Error.Text);
        Assert.Contains("anyone who can reach it can run cat; add --token or --allow, or bind 127.0.0.1", server.Error.Text);
    }

    private static List<int> StartedPids(string log) =>
        log.Split('\n').Where(l => l.StartsWith("Started ", StringComparison.Ordinal))
            .Select(l => int.Parse(l[(l.IndexOf("(pid ", StringComparison.Ordinal) + 5)..l.IndexOf(')')])).ToList();
}
