using System.Diagnostics;
using System.Net;
using System.Net.Sockets;
using System.Security.Cryptography;
using SockCat.Testing;

namespace SockCat.Cli.Tests;

/// <summary>The built `sockcat` as a separate process: real stdin and stdout pipes, real peers.</summary>
[System.Runtime.Versioning.UnsupportedOSPlatform("windows")]
public sealed class ProcessTests
{
    private const int MiB = 1024 * 1024;

    [Fact]
    public async Task Connect_OneMebibyteEachWay_ArrivesWithTheSameSha256()
    {
        using var cts = new CancellationTokenSource(CliRun.TestTimeout);
        var upload = RandomNumberGenerator.GetBytes(MiB);
        var download = RandomNumberGenerator.GetBytes(MiB);
        using var listener = new TcpListener(IPAddress.Loopback, 0);
        listener.Start();
        var server = Task.Run(async () =>
        {
            using var client = await listener.AcceptTcpClientAsync(cts.Token);
            var stream = client.GetStream();
            var received = new MemoryStream();
            await stream.CopyToAsync(received, cts.Token);
            await stream.WriteAsync(download, cts.Token);
            return received.ToArray();
        });

        var (code, stdout, stderr) = await SockcatProcess.RunAsync(upload, ["connect", $"tcp://127.0.0.1:{((IPEndPoint)listener.LocalEndpoint).Port}"]);

        Assert.Equal((0, ""), (code, stderr));
        Assert.Equal(SHA256.HashData(upload), SHA256.HashData(await server));
        Assert.Equal(SHA256.HashData(download), SHA256.HashData(stdout));
    }

    [Fact]
    public async Task Listen_OneMebibyteEachWay_ArrivesWithTheSameSha256()
    {
        using var cts = new CancellationTokenSource(CliRun.TestTimeout);
        var fromStdin = RandomNumberGenerator.GetBytes(MiB);
        var fromClient = RandomNumberGenerator.GetBytes(MiB);
        await using var sockcat = SockcatProcess.Start(["listen", "tcp://127.0.0.1:0"]);
        var announced = await sockcat.Stderr.ReadLineAsync(cts.Token);
        Assert.StartsWith("sockcat: listening on tcp://127.0.0.1:", announced);
        var port = int.Parse(announced!["sockcat: listening on tcp://127.0.0.1:".Length..]);
        var feed = Task.Run(async () =>
        {
            await sockcat.Stdin.WriteAsync(fromStdin, cts.Token);
            sockcat.Stdin.Close();
        });

        using var client = new TcpClient();
        await client.ConnectAsync(IPAddress.Loopback, port, cts.Token);
        var stream = client.GetStream();
        var received = new MemoryStream();
        var read = stream.CopyToAsync(received, cts.Token);
        await stream.WriteAsync(fromClient, cts.Token);
        // The listener ends when the client does: the client first reads all of stdin, to the listener's FIN.
        await read;
        client.Client.Shutdown(SocketShutdown.Send);
        await feed;
        var (code, stdout, stderr) = await sockcat.WaitAsync();

        Assert.Equal((0, ""), (code, stderr));
        Assert.Equal(SHA256.HashData(fromStdin), SHA256.HashData(received.ToArray()));
        Assert.Equal(SHA256.HashData(fromClient), SHA256.HashData(stdout));
    }

    [Fact]
    public async Task Connect_UdpAgainstSocatEcho_PrintsEachDatagramEchoed()
    {
        using var cts = new CancellationTokenSource(CliRun.TestTimeout);
        var port = LoopbackPorts.Unused(SocketType.Dgram);

        // socat cannot report a port it chose, so it gets one just released (a tiny race, which fails loudly if lost).
        using var socat = Process.Start(new ProcessStartInfo("socat", ["-T5", $"UDP-LISTEN:{port},bind=127.0.0.1,reuseaddr", "PIPE"]) { UseShellExecute = false, RedirectStandardError = true, RedirectStandardInput = true })!;
        try
        {
            await WaitUntilUdpPortTakenAsync(port, socat, cts.Token);

            var (code, stdout, stderr) = await SockcatProcess.RunAsync("alpha\nbeta\n"u8.ToArray(), ["connect", $"udp://127.0.0.1:{port}"]);

            Assert.Equal((0, ""), (code, stderr));
            Assert.Equal("alpha\nbeta\n"u8.ToArray(), stdout);
        }
        finally
        {
            if (!socat.HasExited)
            {
                socat.Kill();
            }
        }
    }

    [Fact]
    public async Task Connect_NoSuchHost_InsideANetworkNamespaceWithoutDns_ExitsConnectFailedWithEaiNoname()
    {
        // unshare: a private network namespace (only a down lo) and mount namespace, where nsswitch consults /etc/hosts
        // alone. The lookup is the real one, and it provably sends nothing off the machine.
        var nsswitch = Path.Combine(Path.GetTempPath(), $"sockcat-nsswitch-{Guid.NewGuid():N}.conf");
        await File.WriteAllTextAsync(nsswitch, "hosts: files\n");
        try
        {
            var (code, stdout, stderr) = await SockcatProcess.RunAsync(
                [],
                ["connect", "tcp://no-such-host.invalid:80"],
                ["unshare", "--user", "--map-root-user", "--net", "--mount", "sh", "-c", $"mount --bind {nsswitch} /etc/nsswitch.conf && exec \"$0\" \"$@\""]);

            Assert.Equal(ExitCodes.ConnectFailed, code);
            Assert.Equal("sockcat: no such host 'no-such-host.invalid' (EAI_NONAME); check the name for typos, or use an IP address\n", stderr);
            Assert.Empty(stdout);
        }
        finally
        {
            File.Delete(nsswitch);
        }
    }

    [Fact]
    public async Task Connect_UnixSocketTheUserMayNotUse_ExitsConnectFailedWithEacces()
    {
        // A socket of mode 000 refuses connect to everyone but a process that may override file modes. Root may, so as
        // root the client runs with every capability dropped: still uid 0 (it can read the build wherever the checkout
        // lies, even in a directory other users cannot enter), but bound by the mode like anyone else.
        var directory = Directory.CreateTempSubdirectory("sockcat-perm-");
        var path = Path.Combine(directory.FullName, "private.sock");
        using var listener = new Socket(AddressFamily.Unix, SocketType.Stream, ProtocolType.Unspecified);
        listener.Bind(new UnixDomainSocketEndPoint(path));
        listener.Listen(1);
        File.SetUnixFileMode(path, UnixFileMode.None);
        try
        {
            var (code, _, stderr) = await SockcatProcess.RunAsync(
                [],
                ["connect", $"unix://{path}"],
                Environment.IsPrivilegedProcess ? ["setpriv", "--bounding-set=-all", "--inh-caps=-all", "--ambient-caps=-all"] : null);

            Assert.Equal(ExitCodes.ConnectFailed, code);
            Assert.Equal($"sockcat: permission denied connecting to unix socket {path} (EACCES); check the socket file's permissions, or run as a user allowed to use it\n", stderr);
        }
        finally
        {
            listener.Dispose();
            directory.Delete(recursive: true);
        }
    }

    /// <summary>Watches /proc/net/udp (binding the port to find out would race socat for it) until socat holds the port.</summary>
    private static async Task WaitUntilUdpPortTakenAsync(int port, Process socat, CancellationToken cancellationToken)
    {
        var local = $"0100007F:{port:X4}";
        while (!(await File.ReadAllTextAsync("/proc/net/udp", cancellationToken)).Contains(local, StringComparison.Ordinal))
        {
            Assert.False(socat.HasExited, $"socat exited before binding its port: {(socat.HasExited ? await socat.StandardError.ReadToEndAsync(cancellationToken) : "")}");
            await Task.Delay(20, cancellationToken);
        }
    }
}
