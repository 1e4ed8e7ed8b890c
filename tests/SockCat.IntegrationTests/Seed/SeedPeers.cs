using System.Globalization;
using System.Net;
using System.Net.Sockets;
using System.Text;
using System.Text.RegularExpressions;
using SockCat.Testing;

namespace SockCat.IntegrationTests.Seed;

/// <summary>Starting the seed's servers (PHP and the C# examples) on loopback, and the payloads the tests send.</summary>
internal static partial class SeedPeers
{
    /// <summary>What socket_client.php prints before the reply (the seed's lines, trailing spaces and all).</summary>
    public const string PhpSocketClientPreamble = "Socket created \nConnection established \nMessage send successfully \n";

    /// <summary>What the C# SeedSocketClient prints before the reply.</summary>
    public const string SocketClientPreamble = "Socket created\nConnection established\nMessage send successfully\n";

    [GeneratedRegex(@"^Connection accepted from 127\.0\.0\.1:(\d+)$")]
    public static partial Regex AcceptedLine();

    [GeneratedRegex(@"^Listening on tcp://127\.0\.0\.1:(\d+)$")]
    private static partial Regex ListeningLine();

    /// <summary>
    /// <paramref name="length"/> bytes of printable text with tabs and CRLFs in it, different at every offset, so a
    /// lost, doubled or reordered chunk shows. No NUL (it goes through argv) and never a lone "0" (the seed's
    /// `if(!$data)` takes the string "0" for a disconnect).
    /// </summary>
    public static string Payload(int length, string tag)
    {
        var text = new StringBuilder(length + 64);
        for (var i = 0; text.Length < length; i++)
        {
            text.Append(CultureInfo.InvariantCulture, $"{tag} line {i}:\tthe quick brown fox jumps over the lazy dog\r\n");
        }
        return text.ToString(0, length);
    }

    /// <summary>Starts a C# example server (SeedSingleEchoServer, SeedMultiEchoServer) on tcp://127.0.0.1:0.</summary>
    public static async Task<(PeerProcess Server, int Port)> StartExampleServerAsync(string example)
    {
        var server = PeerProcess.StartDotnet(example, ["tcp://127.0.0.1:0"]);
        try
        {
            var lines = await server.WaitForStdoutLinesAsync(1);
            var match = ListeningLine().Match(lines[0]);
            Assert.True(match.Success, $"first line of {example}: {lines[0]}");
            return (server, int.Parse(match.Groups[1].Value, CultureInfo.InvariantCulture));
        }
        catch
        {
            server.Dispose();
            throw;
        }
    }

    /// <summary>
    /// Starts a PHP server script (multi_server.php) on 127.0.0.1. PHP cannot report the port it got for port 0, so
    /// this takes a free port from the system, releases it and passes it on; if someone else takes it in between,
    /// php exits ("Could not bind") and this tries again with another.
    /// </summary>
    public static async Task<(PeerProcess Server, int Port)> StartPhpServerAsync(string script)
    {
        for (var attempt = 1; ; attempt++)
        {
            var port = LoopbackPorts.Unused();
            var server = PeerProcess.StartPhp(script, ["127.0.0.1", port.ToString(CultureInfo.InvariantCulture)]);
            try
            {
                await server.WaitForAsync(() => IsListening(server.Id, port) ? server : null, $"listening socket on port {port}");
                return (server, port);
            }
            catch (TimeoutException) when (server.HasExited && attempt < 5)
            {
                server.Dispose();
            }
            catch
            {
                server.Dispose();
                throw;
            }
        }
    }

    /// <summary>Runs a seed client to its end and returns its exit code, stdout and stderr.</summary>
    public static async Task<(int ExitCode, string Stdout, string Stderr)> RunAsync(PeerProcess client)
    {
        using (client)
        {
            var exitCode = await client.WaitForExitAsync();
            return (exitCode, client.Stdout, client.Stderr);
        }
    }

    /// <summary>
    /// A loopback port on which nothing listens, held by a bound socket (no listen) for as long as the socket lives,
    /// so a connect there is refused and no other program can take the port meanwhile.
    /// </summary>
    public static Socket BindWithoutListening()
    {
        var socket = new Socket(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp);
        socket.Bind(new IPEndPoint(IPAddress.Loopback, 0));
        return socket;
    }

    public static int Port(this Socket socket) => ((IPEndPoint)socket.LocalEndPoint!).Port;

    // True when process `pid` holds a TCP socket listening on `port`: its fds name socket inodes
    // (/proc/PID/fd/N -> "socket:[INODE]"), and /proc/net/tcp lists each socket's local address, state and inode.
    // Nothing connects to find out, so the server logs nothing that the test did not cause.
    private static bool IsListening(int pid, int port)
    {
        var inodes = new HashSet<string>();
        try
        {
            foreach (var fd in Directory.EnumerateFileSystemEntries($"/proc/{pid}/fd"))
            {
                if (new FileInfo(fd).LinkTarget is { } target && target.StartsWith("socket:[", StringComparison.Ordinal))
                {
                    inodes.Add(target["socket:[".Length..^1]);
                }
            }
        }
        catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
        {
            return false; // it exited, or is exiting
        }

        const string Listen = "0A";
        foreach (var line in File.ReadLines("/proc/net/tcp").Skip(1))
        {
            // sl local_address rem_address st tx_queue:rx_queue tr:tm->when retrnsmt uid timeout inode ...
            var fields = line.Split(' ', StringSplitOptions.RemoveEmptyEntries);
            if (fields.Length > 9 && fields[3] == Listen && inodes.Contains(fields[9])
                && int.Parse(fields[1].AsSpan(fields[1].IndexOf(':') + 1), NumberStyles.HexNumber, CultureInfo.InvariantCulture) == port)
            {
                return true;
            }
        }
        return false;
    }
}
