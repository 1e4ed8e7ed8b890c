using System.Diagnostics;
using System.Net;
using System.Net.Sockets;

namespace SockCat.Testing;

/// <summary>
/// A proxy no one here wrote, started on a free loopback port for one test and killed by its PID (with its children) on
/// Dispose: Debian's microsocks (SOCKS5, optionally with a user and password), dante-server's danted (SOCKS5 and SOCKS4)
/// and tinyproxy (HTTP CONNECT). test.sh installs the three packages.
/// </summary>
public sealed class ProxyPeer : IDisposable
{
    private static readonly TimeSpan StartTimeout = TimeSpan.FromSeconds(20);

    private readonly Process _process;
    private readonly string _directory;
    private readonly string _logPath;

    private ProxyPeer(Process process, string directory, string logPath, int port, string name)
    {
        _process = process;
        _directory = directory;
        _logPath = logPath;
        Port = port;
        Name = name;
    }

    public int Port { get; }

    public string Name { get; }

    public int Id => _process.Id;

    /// <summary>What the proxy logged so far (microsocks logs each client and its target; danted and tinyproxy their requests).</summary>
    public string Log => File.Exists(_logPath) ? ReadShared(_logPath) : "";

    /// <summary>microsocks on a free port; with <paramref name="user"/> and <paramref name="password"/>, only for them.</summary>
    public static Task<ProxyPeer> MicrosocksAsync(string? user = null, string? password = null)
    {
        var port = LoopbackPorts.Unused();
        string[] auth = user is null ? [] : ["-u", user, "-P", password ?? ""];
        return StartAsync("microsocks", ["microsocks", "-i", "127.0.0.1", "-p", $"{port}", .. auth], port, null);
    }

    /// <summary>tinyproxy on a free port, allowing CONNECT to <paramref name="connectPorts"/> only.</summary>
    public static Task<ProxyPeer> TinyproxyAsync(params int[] connectPorts)
    {
        var port = LoopbackPorts.Unused();
        var config = $"""
            Port {port}
            Listen 127.0.0.1
            Timeout 30
            MaxClients 50
            Allow 127.0.0.1
            LogLevel Info
            {string.Join('\n', connectPorts.Select(p => $"ConnectPort {p}"))}

            """;
        return StartAsync("tinyproxy", ["tinyproxy", "-d", "-c", "{dir}/tinyproxy.conf"], port, ("tinyproxy.conf", config));
    }

    /// <summary>danted on a free port: SOCKS5 and SOCKS4 with no authentication, to anywhere, from loopback.</summary>
    public static Task<ProxyPeer> DanteAsync()
    {
        var port = LoopbackPorts.Unused();
        var config = $$"""
            logoutput: stderr
            internal: 127.0.0.1 port = {{port}}
            external: 127.0.0.1
            clientmethod: none
            socksmethod: none
            client pass {
              from: 127.0.0.0/8 to: 0.0.0.0/0
            }
            socks pass {
              from: 127.0.0.0/8 to: 0.0.0.0/0
              protocol: tcp
            }

            """;
        return StartAsync("danted", ["danted", "-f", "{dir}/danted.conf", "-N", "1", "-p", "{dir}/danted.pid"], port, ("danted.conf", config));
    }

    private static async Task<ProxyPeer> StartAsync(string name, string[] command, int port, (string File, string Text)? config)
    {
        var directory = Path.Combine(Path.GetTempPath(), $"sockcat-proxy-{Guid.NewGuid():N}");
        Directory.CreateDirectory(directory);
        if (config is { } c)
        {
            await File.WriteAllTextAsync(Path.Combine(directory, c.File), c.Text);
        }

        var log = Path.Combine(directory, "log");
        // exec: the PID is the proxy's own, and its output goes to a file the test reads without a pump.
        var line = string.Join(' ', command.Select(a => "'" + a.Replace("{dir}", directory, StringComparison.Ordinal).Replace("'", "'\\''", StringComparison.Ordinal) + "'"));
        var info = new ProcessStartInfo("/bin/sh") { UseShellExecute = false };
        info.ArgumentList.Add("-c");
        info.ArgumentList.Add($"exec {line} > '{log}' 2>&1 < /dev/null");
        var process = Process.Start(info) ?? throw new InvalidOperationException($"could not start {name}");
        var peer = new ProxyPeer(process, directory, log, port, name);
        try
        {
            await peer.WaitListeningAsync();
            return peer;
        }
        catch
        {
            peer.Dispose();
            throw;
        }
    }

    /// <summary>Waits for the port to take a connection (the proxy is up), failing at once if the proxy exited.</summary>
    private async Task WaitListeningAsync()
    {
        var deadline = DateTime.UtcNow + StartTimeout;
        while (true)
        {
            if (_process.HasExited)
            {
                throw new InvalidOperationException($"{Name} exited with {_process.ExitCode} before listening on {Port} (is it installed? test.sh installs it): {Log}");
            }

            using var probe = new Socket(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp);
            try
            {
                await probe.ConnectAsync(new IPEndPoint(IPAddress.Loopback, Port));
                return;
            }
            catch (SocketException) when (DateTime.UtcNow < deadline)
            {
                await Task.Delay(25);
            }
        }
    }

    private static string ReadShared(string path)
    {
        using var stream = new FileStream(path, FileMode.Open, FileAccess.Read, FileShare.ReadWrite);
        using var reader = new StreamReader(stream);
        return reader.ReadToEnd();
    }

    public void Dispose()
    {
        try
        {
            if (!_process.HasExited)
            {
                _process.Kill(entireProcessTree: true);
                _process.WaitForExit(5000);
            }
        }
        catch (InvalidOperationException)
        {
            // Exited between the check and the kill.
        }

        _process.Dispose();
        try
        {
            Directory.Delete(_directory, recursive: true);
        }
        catch (IOException)
        {
        }
    }
}
