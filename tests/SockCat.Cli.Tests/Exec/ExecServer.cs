using System.Net;
using System.Net.Sockets;
using System.Text;
using SockCat.Cli.Commands;

namespace SockCat.Cli.Tests.Exec;

/// <summary>`sockcat serve exec` run in-process on port 0, with its log lines readable while it runs.</summary>
[System.Runtime.Versioning.UnsupportedOSPlatform("windows")]
internal sealed class ExecServer : IAsyncDisposable
{
    private readonly CancellationTokenSource _stop = new();

    private ExecServer(string[] args)
    {
        var run = Task.Run(async () =>
        {
            using (ConsoleStreams.Use(new MemoryStream(), new MemoryStream()))
            {
                var configuration = new System.CommandLine.InvocationConfiguration { Output = Log, Error = Error, EnableDefaultExceptionHandler = false };
                return await SockCatCommand.Create().Parse(args).InvokeAsync(configuration, _stop.Token);
            }
        });
        Run = run;
    }

    public SyncWriter Log { get; } = new();

    public SyncWriter Error { get; } = new();

    public Task<int> Run { get; }

    public int Port { get; private set; }

    /// <summary>Starts <c>sockcat serve exec tcp://127.0.0.1:0 FLAGS -- PROGRAM...</c> and waits for its port.</summary>
    public static Task<ExecServer> StartAsync(string[] flags, params string[] program) => StartOnAsync("tcp://127.0.0.1:0", flags, program);

    public static async Task<ExecServer> StartOnAsync(string url, string[] flags, params string[] program)
    {
        var server = new ExecServer(["serve", "exec", url, .. flags, "--", .. program]);
        await Until(() => server.Run.IsCompleted || server.Error.Text.Contains("listening on ", StringComparison.Ordinal) && server.Error.Text.EndsWith('\n'), "the listening line");
        var text = server.Error.Text;
        var at = text.IndexOf("listening on ", StringComparison.Ordinal);
        if (at < 0)
        {
            throw new InvalidOperationException($"serve exec never announced its port; stderr: {text}");
        }

        var line = text[at..text.IndexOf('\n', at)];
        server.Port = int.Parse(line[(line.LastIndexOf(':') + 1)..].TrimEnd('/'));
        return server;
    }

    public async Task<Socket> ConnectAsync()
    {
        var socket = new Socket(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp);
        await socket.ConnectAsync(new IPEndPoint(IPAddress.Loopback, Port));
        return socket;
    }

    /// <summary>Waits until the log holds <paramref name="text"/> <paramref name="count"/> times.</summary>
    public async Task WaitForLogAsync(string text, int count = 1)
    {
        try
        {
            await Until(() => Occurrences(Log.Text, text) >= count, $"'{text}' x{count} in the log");
        }
        catch (TimeoutException e)
        {
            throw new TimeoutException($"{e.Message}; the log:\n{Log.Text}\nstderr:\n{Error.Text}");
        }
    }

    public static int Occurrences(string text, string what)
    {
        var n = 0;
        for (var at = text.IndexOf(what, StringComparison.Ordinal); at >= 0; at = text.IndexOf(what, at + what.Length, StringComparison.Ordinal))
        {
            n++;
        }

        return n;
    }

    public static async Task Until(Func<bool> condition, string what)
    {
        using var timeout = new CancellationTokenSource(CliRun.TestTimeout);
        while (!condition())
        {
            if (timeout.IsCancellationRequested)
            {
                throw new TimeoutException($"waited {CliRun.TestTimeout.TotalSeconds} s for {what}");
            }

            await Task.Delay(20);
        }
    }

    /// <summary>Ctrl+C, then the exit code.</summary>
    public async Task<int> StopAsync()
    {
        await _stop.CancelAsync();
        return await Run.WaitAsync(CliRun.TestTimeout);
    }

    public async ValueTask DisposeAsync()
    {
        if (!Run.IsCompleted)
        {
            await StopAsync();
        }

        _stop.Dispose();
    }

    /// <summary>Reads one line (up to LF) from <paramref name="socket"/>; null at end of stream.</summary>
    public static async Task<string?> ReadLineAsync(Socket socket)
    {
        using var timeout = new CancellationTokenSource(CliRun.TestTimeout);
        var line = new List<byte>();
        var one = new byte[1];
        while (true)
        {
            var n = await socket.ReceiveAsync(one, timeout.Token);
            if (n == 0)
            {
                return line.Count == 0 ? null : Encoding.UTF8.GetString(line.ToArray());
            }

            if (one[0] == '\n')
            {
                return Encoding.UTF8.GetString(line.ToArray());
            }

            line.Add(one[0]);
        }
    }

    /// <summary>Reads to the end of the stream.</summary>
    public static async Task<string> ReadToEndAsync(Socket socket)
    {
        using var timeout = new CancellationTokenSource(CliRun.TestTimeout);
        var all = new MemoryStream();
        var buffer = new byte[4096];
        int n;
        while ((n = await socket.ReceiveAsync(buffer, timeout.Token)) > 0)
        {
            all.Write(buffer, 0, n);
        }

        return Encoding.UTF8.GetString(all.ToArray());
    }

    /// <summary>Closes with a reset (SO_LINGER 0): the client is gone, not merely done sending.</summary>
    public static void Reset(Socket socket)
    {
        socket.LingerState = new LingerOption(true, 0);
        socket.Close();
    }

    /// <summary>Whether a process with this PID exists (a zombie counts: it has not been reaped).</summary>
    public static bool Exists(int pid) => Directory.Exists($"/proc/{pid}");

    /// <summary>Zombies whose parent is this (test) process.</summary>
    public static List<int> OurZombies()
    {
        var self = Environment.ProcessId;
        var zombies = new List<int>();
        foreach (var dir in Directory.EnumerateDirectories("/proc"))
        {
            if (!int.TryParse(Path.GetFileName(dir), out var pid))
            {
                continue;
            }

            try
            {
                var stat = File.ReadAllText($"/proc/{pid}/stat");
                var fields = stat[(stat.LastIndexOf(')') + 2)..].Split(' ');
                if (fields[0] == "Z" && int.Parse(fields[1]) == self)
                {
                    zombies.Add(pid);
                }
            }
            catch (IOException)
            {
            }
        }

        return zombies;
    }

    /// <summary>Writes an executable script into a fresh temporary directory.</summary>
    public static string Script(string body)
    {
        var dir = Directory.CreateTempSubdirectory("sockcat-exec-").FullName;
        var path = Path.Combine(dir, "prog.sh");
        File.WriteAllText(path, body);
        File.SetUnixFileMode(path, UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.UserExecute);
        return path;
    }
}
