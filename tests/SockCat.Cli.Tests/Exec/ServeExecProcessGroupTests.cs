using static SockCat.Cli.Tests.Exec.ExecServer;

namespace SockCat.Cli.Tests.Exec;

/// <summary>
/// How `serve exec` starts its programs: a process group of their own, a session of their own only when the server has
/// a terminal (the tests' server runs in this process), every signal default; and what ending them reaches.
/// </summary>
[System.Runtime.Versioning.UnsupportedOSPlatform("windows")]
public sealed class ServeExecProcessGroupTests
{
    [Fact]
    public async Task Program_LeadsAGroupOfItsOwn_InTheServersSessionWhenTheServerHasNoTerminal()
    {
        await using var server = await StartAsync([], "/usr/bin/python3", "-c", "import os; print(os.getpid(), os.getpgid(0), os.getsid(0))");
        using var client = await server.ConnectAsync();
        var ids = (await ReadLineAsync(client))!.Split(' ').Select(int.Parse).ToArray();
        Assert.Equal(ids[0], ids[1]);   // it leads its process group
        if (HasTerminal())
        {
            Assert.Equal(ids[0], ids[2]);   // a session of its own: out of the terminal's job control
        }
        else
        {
            Assert.Equal(OwnSession(), ids[2]);   // the server's session, not one of its own
        }
    }

    [Fact]
    public async Task Program_SeesSigpipeDefault_APipelineWriterEndsByIt()
    {
        // yes writes until head has its line and leaves; with SIGPIPE default that write kills it (141), with SIGPIPE
        // ignored (as .NET leaves it in its own process) yes sees EPIPE and exits 1 with a complaint on stderr. head's
        // line goes to /dev/null: coreutils' head closes its stdin before its exit flushes the line, so yes's end could
        // be told first.
        await using var server = await StartAsync(["--shell"], "{ { yes; echo \"yes ended: $?\" >&3; } | head -n 1 >/dev/null; } 3>&1");
        using var client = await server.ConnectAsync();
        Assert.Equal("yes ended: 141\n", await ReadToEndAsync(client));
        await server.WaitForLogAsync("exited with code 0");
    }

    [Fact]
    public async Task ClientGone_GrandchildInAGroupOfItsOwnIgnoringSigterm_GoneAfterTheProgramDiesBySigterm()
    {
        // The grandchild leads a group of its own (as a job-control shell's job would) and ignores SIGTERM, so it
        // outlives the program (which SIGTERM ends) and is re-parented to the server, where no parent PID leads back
        // to the program any more: it must still get the SIGKILL.
        var script = Script("""
            #!/usr/bin/python3
            import os, signal, subprocess, time
            signal.signal(signal.SIGTERM, signal.SIG_IGN)   # inherited by the grandchild across its exec
            child = subprocess.Popen(["sleep", "300"], process_group=0)
            signal.signal(signal.SIGTERM, signal.SIG_DFL)
            print(os.getpid(), child.pid, os.getpgid(child.pid), flush=True)
            time.sleep(300)
            """);
        await using var server = await StartAsync(["--kill-after", "0.2"], script);
        var client = await server.ConnectAsync();
        var port = ((System.Net.IPEndPoint)client.LocalEndPoint!).Port;
        var ids = (await ReadLineAsync(client))!.Split(' ').Select(int.Parse).ToArray();
        Assert.Equal(ids[1], ids[2]);   // the grandchild leads its own group, not the program's
        Assert.All(ids[..2], pid => Assert.True(Exists(pid)));

        Reset(client);
        await server.WaitForLogAsync($"Program (pid {ids[0]}) for 127.0.0.1:{port} killed by SIGTERM");
        await Until(() => !Exists(ids[1]), "the grandchild to be gone and reaped");
        Assert.DoesNotContain(ids[1], OurZombies());
    }

    /// <summary>Whether this process has a controlling terminal (then the server gives each program a session).</summary>
    [Fact]
    public async Task ServeExec_LoopsRunUnderSchedBatch_TheProgramUnderTheDefaultPolicy()
    {
        // A server process of its own, so that every loop thread the program finds in its parent is serve exec's.
        // sched(7): 0 is SCHED_OTHER, 3 SCHED_BATCH. A thread's policy passes to the processes it starts: programs are
        // started off the loops, and keep the default.
        const string Program = """
            import glob, os
            def policy(stat): return int(stat[stat.rindex(")") + 2:].split()[38])
            loops = sorted({policy(open(t + "/stat").read()) for t in glob.glob("/proc/%d/task/*" % os.getppid())
                            if open(t + "/comm").read().startswith("sockcat-epoll")})
            print(os.sched_getscheduler(0), loops, flush=True)
            """;
        await using var server = SockcatProcess.Start(["serve", "exec", "tcp://127.0.0.1:0", "--", "/usr/bin/python3", "-c", Program]);
        var line = await server.Stderr.ReadLineAsync().WaitAsync(CliRun.TestTimeout) ?? "";
        Assert.StartsWith("sockcat: listening on tcp://127.0.0.1:", line);
        var port = int.Parse(line[(line.LastIndexOf(':') + 1)..]);
        using var client = new System.Net.Sockets.Socket(System.Net.Sockets.SocketType.Stream, System.Net.Sockets.ProtocolType.Tcp);
        await client.ConnectAsync(System.Net.IPAddress.Loopback, port);
        Assert.Equal("0 [3]", await ReadLineAsync(client));
    }

    private static bool HasTerminal()
    {
        try
        {
            using var tty = File.Open("/dev/tty", FileMode.Open, FileAccess.ReadWrite);
            return true;
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            return false;
        }
    }

    /// <summary>This process's session id: the sixth field of /proc/self/stat (the third after the command's ')').</summary>
    private static int OwnSession()
    {
        var stat = File.ReadAllText("/proc/self/stat");
        return int.Parse(stat[(stat.LastIndexOf(')') + 2)..].Split(' ')[3]);
    }
}
