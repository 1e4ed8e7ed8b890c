using System.Collections.Concurrent;
using System.Security.Cryptography;
using System.Text;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Abstractions;
using SockCat.Server;

namespace SockCat.Services.Exec;

/// <summary>
/// A program behind a socket, as <c>ncat --exec</c> and websocketd: each client gets a process of its own (its bytes
/// the process's stdin, the process's stdout its bytes, as they come), and when the client leaves, the process and
/// everything it started get SIGTERM, then SIGKILL after <see cref="ExecOptions.KillAfter"/>. Dispose to end every
/// process still running (the server stopping).
/// <code>
/// await using var exec = new ExecService(new ExecOptions { Program = "/usr/bin/python3", Arguments = ["job.py"] }, loggerFactory);
/// await using var server = new SockCatServer(exec.CreateProtocol, new ServerOptions(), loggerFactory);
/// await server.StartAsync([EndpointUrl.Parse("tcp://127.0.0.1:5000")]);
/// </code>
/// </summary>
public sealed class ExecService : IAsyncDisposable
{
    private readonly ConcurrentDictionary<ExecSession, byte> _sessions = new();
    private readonly byte[]? _token;
    private readonly BroadcastHub? _hub;
    private int _running;
    private int _disposed;
    private int _started;

    /// <summary>Makes the service; nothing is started until a client comes.</summary>
    /// <param name="options">The program and the limits.</param>
    /// <param name="loggerFactory">Where program starts, exits and stderr lines are logged; null: nowhere.</param>
    public ExecService(ExecOptions options, ILoggerFactory? loggerFactory = null)
    {
        ArgumentNullException.ThrowIfNull(options);
        ArgumentOutOfRangeException.ThrowIfLessThan(options.KillAfter, TimeSpan.Zero, nameof(options));
        Options = options;
        Logger = loggerFactory?.CreateLogger("SockCat.Services.Exec") ?? NullLogger.Instance;
        _token = options.Token is null ? null : Encoding.UTF8.GetBytes(options.Token);
        _hub = options.Broadcast ? new BroadcastHub(this) : null;
    }

    /// <summary>The options the service was made with.</summary>
    public ExecOptions Options { get; }

    /// <summary>Processes running now (started and not yet ended with everything they started).</summary>
    public int RunningProcesses => Volatile.Read(ref _running);

    internal ILogger Logger { get; }

    internal string ProgramName => Options.UseShell ? "sh -c" : Path.GetFileName(Options.Program);

    /// <summary>
    /// The protocol for one client: the factory to give a <see cref="SockCatServer"/>. In broadcast mode the client
    /// joins the one program (started by <see cref="Start"/>, or by the first client).
    /// </summary>
    public IConnectionProtocol CreateProtocol(IConnection connection)
    {
        if (_hub is null)
        {
            return new ExecProtocol(this);
        }

        Start();
        return new BroadcastProtocol(this, _hub);
    }

    /// <summary>In broadcast mode, starts the program now rather than with the first client; otherwise does nothing.</summary>
    public void Start()
    {
        if (_hub is not null && Interlocked.Exchange(ref _started, 1) == 0)
        {
            _hub.Start(ExecEnvironment.Build(Options, null, null, "TCP"));
        }
    }

    internal BroadcastHub? Hub => _hub;

    /// <summary>
    /// The full path of <paramref name="name"/>: itself when it holds a slash (and exists), else the first executable
    /// file of that name on PATH; null when there is none.
    /// </summary>
    public static string? FindProgram(string name)
    {
        ArgumentNullException.ThrowIfNull(name);
        if (name.Contains('/'))
        {
            return File.Exists(name) ? Path.GetFullPath(name) : null;
        }

        foreach (var directory in (Environment.GetEnvironmentVariable("PATH") ?? "/usr/local/bin:/usr/bin:/bin").Split(':', StringSplitOptions.RemoveEmptyEntries))
        {
            var candidate = Path.Combine(directory, name);
            if (File.Exists(candidate) && (OperatingSystem.IsWindows() || (File.GetUnixFileMode(candidate) & (UnixFileMode.UserExecute | UnixFileMode.GroupExecute | UnixFileMode.OtherExecute)) != 0))
            {
                return candidate;
            }
        }

        return null;
    }

    /// <summary>Ends every process still running (SIGTERM, then SIGKILL after the grace) and waits until they are gone.</summary>
    public async ValueTask DisposeAsync()
    {
        Interlocked.Exchange(ref _disposed, 1);
        if (_hub is not null)
        {
            await _hub.StopAsync().ConfigureAwait(false);
        }

        await Task.WhenAll(_sessions.Keys.Select(s => s.TerminateAsync())).ConfigureAwait(false);
    }

    /// <summary>Whether <paramref name="candidate"/> is the token, in time that does not depend on where they differ.</summary>
    internal bool TokenMatches(ReadOnlySpan<byte> candidate) =>
        _token is null || CryptographicOperations.FixedTimeEquals(_token, candidate);

    internal bool RequiresToken => _token is not null;

    /// <summary>Takes a place for one more process; false (and nothing taken) over <see cref="ExecOptions.MaxProcesses"/> or once disposed.</summary>
    internal bool TryReserve()
    {
        while (true)
        {
            var running = Volatile.Read(ref _running);
            if (Volatile.Read(ref _disposed) != 0 || running >= (Options.MaxProcesses ?? int.MaxValue))
            {
                return false;
            }

            if (Interlocked.CompareExchange(ref _running, running + 1, running) == running)
            {
                return true;
            }
        }
    }

    internal void Release() => Interlocked.Decrement(ref _running);

    internal void Add(ExecSession session) => _sessions[session] = 0;

    internal void Remove(ExecSession session) => _sessions.TryRemove(session, out _);

    /// <summary>The line a client over <see cref="ExecOptions.MaxProcesses"/> is sent before it is closed.</summary>
    internal string FullMessage => $"sockcat: {Options.MaxProcesses} programs are running, the most this server runs at once; try again later\n";
}
