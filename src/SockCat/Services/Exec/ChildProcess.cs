using System.ComponentModel;
using System.Diagnostics;
using System.Runtime.InteropServices;
using SockCat.Internal.Interop;

namespace SockCat.Services.Exec;

/// <summary>
/// One running program, started by <see cref="ProgramSpawner"/> in a process group of its own (numbered by its PID),
/// and, when this process has a controlling terminal, in a session of its own too: in the terminal's session a program
/// that opens /dev/tty from its background group would be stopped by SIGTTIN. Without a terminal it stays in the
/// server's session, where the kernel's autogroup schedules it with the server (a session of its own cost half the
/// latency from its write to the client's read, docs/benchmarks.md). <see cref="TerminateAsync"/> reaches everything
/// it started either way (<see cref="ProcessFamily"/>), and <see cref="ChildReaper"/> reaps it for its exit code.
/// </summary>
internal sealed class ChildProcess : IDisposable
{
    private static readonly Lazy<bool> Subreaper = new(LinuxProcesses.BecomeSubreaper);
    private static readonly Lazy<bool> ServerHasTerminal = new(ProgramSpawner.HasControllingTerminal);
    private readonly ProcessFamily _family;
    private Task? _terminating;

    private ChildProcess(int pid, Stream stdin, Stream stdout, Stream stderr, bool ownSession)
    {
        Pid = pid;
        Stdin = stdin;
        Stdout = stdout;
        Stderr = stderr;
        Exited = ChildReaper.Watch(pid);
        _family = new ProcessFamily(pid, ownSession, () => Exited.IsCompleted);
    }

    public int Pid { get; }

    public Stream Stdin { get; }

    public Stream Stdout { get; }

    public Stream Stderr { get; }

    /// <summary>
    /// The exit code once the program has exited (128 + the signal when a signal ended it;
    /// <see cref="ChildReaper.UnknownExit"/> when another reaper took its status).
    /// </summary>
    public Task<int> Exited { get; }

    /// <summary>
    /// Starts the program (PATH searched as this process's own); <see cref="Win32Exception"/> when it cannot be started.
    /// The pty helper always leads a session of its own: it makes the pty its controlling terminal, which only a
    /// session leader can. With <paramref name="stdoutSocket"/> (a lent client socket, <see cref="ExecOptions.Direct"/>)
    /// the program's stdout is that socket, and <see cref="Stdout"/> an empty stream.
    /// </summary>
    public static ChildProcess Start(ExecOptions options, IReadOnlyDictionary<string, string> environment, int rows = 0, int columns = 0, SafeHandle? stdoutSocket = null)
    {
        _ = Subreaper.Value;
        var argv = new List<string>();
        if (options.Pty)
        {
            argv.Add(PtyHelper.PythonPath);
            argv.Add("-c");
            argv.Add(PtyHelper.Script);
            argv.Add(Number(rows > 0 ? rows : options.PtyRows));
            argv.Add(Number(columns > 0 ? columns : options.PtyColumns));
        }

        if (options.UseShell)
        {
            argv.Add("/bin/sh");
            argv.Add("-c");
            argv.Add(options.Program);
        }
        else
        {
            argv.Add(options.Program);
        }

        argv.AddRange(options.Arguments);
        var env = new Dictionary<string, string>(environment);
        if (options.Pty)
        {
            env.TryAdd("TERM", "xterm-256color");
        }

        var ownSession = options.Pty || ServerHasTerminal.Value;
        var (pid, stdin, stdout, stderr) = ProgramSpawner.Spawn(argv, env, ownSession, stdoutSocket);
        return new ChildProcess(pid, stdin, stdout, stderr, ownSession);
    }

    /// <summary>How long SIGTERM is given before SIGKILL.</summary>
    internal static readonly TimeSpan TermGrace = TimeSpan.FromMilliseconds(500);

    /// <summary>
    /// Ends the program and everything it started (<see cref="ProcessFamily"/>): what is still running after
    /// <paramref name="grace"/> (its stdin closed, a program may end by itself) gets SIGTERM (and SIGCONT, for a stopped
    /// job), and what still runs <see cref="TermGrace"/> later gets SIGKILL; then the orphans re-parented here are
    /// reaped. Completes once nothing of it runs and the program has been reaped. Only the first call's grace counts.
    /// </summary>
    public Task TerminateAsync(TimeSpan grace) => _terminating ??= TerminateCoreAsync(grace);

    private async Task TerminateCoreAsync(TimeSpan grace)
    {
        if (!await EndedWithinAsync(grace).ConfigureAwait(false))
        {
            _family.Signal(LinuxProcesses.SIGTERM);
            _family.Signal(LinuxProcesses.SIGCONT);
            if (!await EndedWithinAsync(TermGrace).ConfigureAwait(false))
            {
                for (var i = 0; _family.AnyAlive() && i < 500; i++)
                {
                    _family.Signal(LinuxProcesses.SIGKILL);
                    await Task.Delay(10).ConfigureAwait(false);
                }
            }
        }

        await Exited.ConfigureAwait(false);
        _family.ReapOrphans();
    }

    /// <summary>Whether the program and everything it started have ended within <paramref name="time"/>.</summary>
    private async Task<bool> EndedWithinAsync(TimeSpan time)
    {
        var clock = Stopwatch.StartNew();
        // The program's own exit is an event; its descendants are only seen in /proc, so they are polled.
        try
        {
            await Exited.WaitAsync(time).ConfigureAwait(false);
        }
        catch (TimeoutException)
        {
            return !_family.AnyAlive();
        }

        while (_family.AnyAlive())
        {
            if (clock.Elapsed >= time)
            {
                return false;
            }

            await Task.Delay(20).ConfigureAwait(false);
        }

        return true;
    }

    /// <summary>How the program ended, for the log: "exited with code 3", "killed by SIGTERM".</summary>
    public static string DescribeExit(int code) => code switch
    {
        ChildReaper.UnknownExit => "ended (exit status unknown)",
        > 128 and < 128 + 32 => $"killed by {SignalName(code - 128)}",
        _ => $"exited with code {code}",
    };

    private static string SignalName(int signal) => signal switch
    {
        1 => "SIGHUP",
        2 => "SIGINT",
        3 => "SIGQUIT",
        6 => "SIGABRT",
        9 => "SIGKILL",
        11 => "SIGSEGV",
        13 => "SIGPIPE",
        15 => "SIGTERM",
        _ => $"signal {signal}",
    };

    /// <summary>
    /// Closes this side of the pipes (a descriptor a connection still watches is closed once it lets go). A program
    /// still running is left to run, and reaped when it exits.
    /// </summary>
    public void Dispose()
    {
        Stdin.Dispose();
        Stdout.Dispose();
        Stderr.Dispose();
    }

    private static string Number(int n) => n.ToString(System.Globalization.CultureInfo.InvariantCulture);
}
