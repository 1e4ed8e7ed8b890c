using System.Diagnostics;
using System.Net.Sockets;
using System.Text;
using SockCat.Testing;

namespace SockCat.Redis.Tests;

/// <summary>
/// A real redis-server (Debian's) on a free loopback port, in a directory of its own, with no persistence. Killed by its
/// own PID when the test is done; <see cref="KillAsync"/> and <see cref="StartAgainAsync"/> take it away and bring it back
/// on the same port, empty, as a crashed and restarted Redis.
/// </summary>
internal sealed class RedisServer : IAsyncDisposable
{
    private static readonly TimeSpan Deadline = TimeSpan.FromSeconds(20);
    private readonly string[] _extra;
    private Process? _process;

    private RedisServer(int port, string directory, string[] extra)
    {
        Port = port;
        Directory = directory;
        _extra = extra;
    }

    public int Port { get; }

    public string Directory { get; }

    public string Url => $"redis://127.0.0.1:{Port}";

    public int Pid => _process?.Id ?? 0;

    public static async Task<RedisServer> StartAsync(params string[] extra)
    {
        var directory = Path.Combine(Path.GetTempPath(), $"sockcat-redis-{Guid.NewGuid():N}");
        System.IO.Directory.CreateDirectory(directory);
        var server = new RedisServer(LoopbackPorts.Unused(), directory, extra);
        await server.StartAgainAsync();
        return server;
    }

    public async Task StartAgainAsync()
    {
        var start = new ProcessStartInfo("redis-server")
        {
            WorkingDirectory = Directory,
            RedirectStandardOutput = true,
            RedirectStandardError = true,
        };
        foreach (var arg in (string[])["--port", Port.ToString(), "--bind", "127.0.0.1", "--save", "", "--appendonly", "no", "--protected-mode", "no", .. _extra])
        {
            start.ArgumentList.Add(arg);
        }

        _process = Process.Start(start)!;
        _process.BeginOutputReadLine();
        _process.BeginErrorReadLine();
        using var cts = new CancellationTokenSource(Deadline);
        while (!await PingsAsync())
        {
            if (_process.HasExited)
            {
                throw new InvalidOperationException($"redis-server on port {Port} exited with {_process.ExitCode}");
            }

            await Task.Delay(50, cts.Token);
        }
    }

    /// <summary>Kills the server (SIGKILL, by its PID) and waits for it to be gone.</summary>
    public async Task KillAsync()
    {
        if (_process is { HasExited: false } process)
        {
            process.Kill();
            await process.WaitForExitAsync().WaitAsync(Deadline);
        }
    }

    /// <summary>SIGSTOP (<paramref name="stop"/>) or SIGCONT to the server: a Redis that does not answer, and answers again.</summary>
    public async Task SignalAsync(bool stop)
    {
        using var kill = Process.Start("kill", [stop ? "-STOP" : "-CONT", Pid.ToString()])!;
        await kill.WaitForExitAsync().WaitAsync(Deadline);
    }

    /// <summary>Runs redis-cli against this server and returns its output.</summary>
    public async Task<string> CliAsync(params string[] args)
    {
        var start = new ProcessStartInfo("redis-cli") { RedirectStandardOutput = true, RedirectStandardError = true, RedirectStandardInput = true };
        foreach (var arg in (string[])["-h", "127.0.0.1", "-p", Port.ToString(), .. args])
        {
            start.ArgumentList.Add(arg);
        }

        using var process = Process.Start(start)!;
        process.StandardInput.Close();
        var output = await process.StandardOutput.ReadToEndAsync().WaitAsync(Deadline);
        await process.WaitForExitAsync().WaitAsync(Deadline);
        return output.Trim();
    }

    public async ValueTask DisposeAsync()
    {
        await KillAsync();
        _process?.Dispose();
        try
        {
            System.IO.Directory.Delete(Directory, recursive: true);
        }
        catch (IOException)
        {
        }
    }

    private async Task<bool> PingsAsync()
    {
        try
        {
            using var socket = new Socket(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp);
            await socket.ConnectAsync("127.0.0.1", Port);
            await socket.SendAsync(Encoding.ASCII.GetBytes("PING\r\n"));
            var buffer = new byte[64];
            using var cts = new CancellationTokenSource(TimeSpan.FromSeconds(2));
            var n = await socket.ReceiveAsync(buffer, cts.Token);
            return Encoding.ASCII.GetString(buffer, 0, n).StartsWith("+PONG", StringComparison.Ordinal);
        }
        catch (Exception e) when (e is SocketException or OperationCanceledException)
        {
            return false;
        }
    }
}
