namespace SockCat.Services.Exec;

/// <summary>
/// What <see cref="ExecService"/> runs and how: the program and its arguments, the limits, and what a client must
/// show before a process is started for it. The defaults are the safe ones: no shell, the server's environment kept
/// from the child but for an allow-list, one process per client, killed (with everything it started) when its client
/// leaves.
/// </summary>
public sealed class ExecOptions
{
    /// <summary>The variables a child gets from the server's own environment unless more are named in <see cref="PassEnvironment"/>.</summary>
    public static IReadOnlyList<string> DefaultEnvironment { get; } =
        ["PATH", "HOME", "LANG", "LANGUAGE", "LC_ALL", "LC_CTYPE", "LC_MESSAGES", "TZ", "USER", "LOGNAME", "SHELL", "TMPDIR"];

    /// <summary>
    /// The program: a path, or a name looked up on PATH (<see cref="ExecService.FindProgram"/>). With
    /// <see cref="UseShell"/>, a shell command line instead.
    /// </summary>
    public required string Program { get; init; }

    /// <summary>The program's arguments, passed as they are (no shell, no expansion).</summary>
    public IList<string> Arguments { get; init; } = new List<string>();

    /// <summary>Runs <see cref="Program"/> as <c>/bin/sh -c PROGRAM</c>: pipes, redirections, globbing. Defaults to false.</summary>
    public bool UseShell { get; init; }

    /// <summary>
    /// How long a program whose client has gone (or whose server stops) may run on, its stdin closed, before its whole
    /// session (its process group, grandchildren included) gets SIGTERM; SIGKILL follows half a second later.
    /// Defaults to 1 second. What the program left running when it exited by itself gets SIGTERM at once.
    /// </summary>
    public TimeSpan KillAfter { get; init; } = TimeSpan.FromSeconds(1);

    /// <summary>The most processes running at once; a client over it is told so in one line and closed. Null: no bound.</summary>
    public int? MaxProcesses { get; init; }

    /// <summary>
    /// A secret a client must send before anything is started for it: its first line on a byte stream, the
    /// <c>Authorization: Bearer</c> header or a <c>token</c> query parameter on the web. Null: none asked.
    /// </summary>
    public string? Token { get; init; }

    /// <summary>Names of variables passed from the server's environment besides <see cref="DefaultEnvironment"/>.</summary>
    public IList<string> PassEnvironment { get; init; } = new List<string>();

    /// <summary>What happens to the program's standard error. Defaults to <see cref="ExecStderr.Log"/>.</summary>
    public ExecStderr Stderr { get; init; } = ExecStderr.Log;

    /// <summary>
    /// Runs the program under a pseudo-terminal (its standard input, output and error a terminal, so it prompts and
    /// line-buffers as in a terminal), through a helper in Python 3. Defaults to false.
    /// </summary>
    public bool Pty { get; init; }

    /// <summary>The terminal's rows under <see cref="Pty"/> when the client gives no size. Defaults to 24.</summary>
    public int PtyRows { get; init; } = 24;

    /// <summary>The terminal's columns under <see cref="Pty"/> when the client gives no size. Defaults to 80.</summary>
    public int PtyColumns { get; init; } = 80;

    /// <summary>
    /// Gives a per-client program its client's socket as its stdout (<see cref="Server.IConnection.LendSocket"/>): its
    /// output reaches the client with no relay in between, the lowest latency and no server CPU per byte, held back by
    /// the socket's own buffer when the client reads slowly. What the relay does that this cannot: the connection is
    /// half-closed when the program exits, not when it closes its stdout; the traffic dump and idle timeout do not see
    /// the output, and the byte totals count it only at the close (on TCP). Applies to tcp:// and unix:// clients on the
    /// epoll transport; others (tls://, the web, Kestrel's transports) are relayed as without it. Not with
    /// <see cref="Pty"/>, <see cref="Broadcast"/> or <see cref="ExecStderr.Merge"/>. Defaults to false.
    /// </summary>
    public bool Direct { get; init; }

    /// <summary>
    /// Runs one program for all clients instead of one each: every client sees its output from the moment it connects,
    /// after the last <see cref="Scrollback"/> lines. Defaults to false.
    /// </summary>
    public bool Broadcast { get; init; }

    /// <summary>Lines of a broadcast kept for late joiners (and for resuming Server-Sent Events). Defaults to 100.</summary>
    public int Scrollback { get; init; } = 100;

    /// <summary>Starts a broadcast program again when it exits, after a backoff (1 s, doubling to 30 s). Defaults to false.</summary>
    public bool Restart { get; init; }

    /// <summary>Gives clients' input to the broadcast program's stdin (otherwise it is read and dropped). Defaults to false.</summary>
    public bool BroadcastInput { get; init; }

    /// <summary>
    /// How far a broadcast viewer may fall behind, in bytes queued for it, before lines are dropped for it (and it is
    /// told how many it missed). Keep it under the server's slow-consumer limit. Defaults to 64 KiB.
    /// </summary>
    public int ViewerQueueBytes { get; init; } = 64 * 1024;

    /// <summary>The longest stderr line logged whole, in bytes; a longer one is logged in pieces. Defaults to 4096.</summary>
    public int MaxLogLineLength { get; init; } = 4096;
}

/// <summary>Where a program's standard error goes.</summary>
public enum ExecStderr
{
    /// <summary>Logged by the server, one log line per line, with the client's address.</summary>
    Log,

    /// <summary>Sent to the client with standard output (and logged, too).</summary>
    Merge,
}
