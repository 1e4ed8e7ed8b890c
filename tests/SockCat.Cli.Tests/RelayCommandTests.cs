using System.Diagnostics;
using System.Net;
using System.Net.Sockets;
using System.Security.Cryptography;
using System.Text;

namespace SockCat.Cli.Tests;

/// <summary>
/// <c>sockcat relay FROM TO</c> as a user runs it: curl through it to a real HTTP server (python3 -m http.server), a
/// shutdown(SHUT_WR) client that then reads its answer, TLS terminated and originated, and a target where nothing listens.
/// </summary>
public sealed partial class RelayCommandTests
{
    [Fact]
    public async Task Relay_CurlThroughItToAnHttpServer_SameBytesAsDirect_HttpOneZeroToo_OneLogLinePerRelay()
    {
        using var site = new TempSite();
        await using var http = await HttpServer.StartAsync(site.Path);
        await using var relay = await Relay.StartAsync("tcp://127.0.0.1:0", $"tcp://127.0.0.1:{http.Port}");

        var body = await CurlAsync($"http://127.0.0.1:{relay.Port}/blob.bin");
        var old = await CurlAsync("--http1.0", $"http://127.0.0.1:{relay.Port}/blob.bin");

        Assert.Equal(site.Blob, body);
        Assert.Equal(site.Blob, old);
        var result = await relay.StopAsync();
        Assert.Equal(ExitCodes.Success, result.ExitCode);
        var lines = result.Output.Split('\n').Where(l => l.StartsWith("Relayed connection ", StringComparison.Ordinal)).ToList();
        Assert.Equal(2, lines.Count);
        Assert.All(lines, l => Assert.Matches($@"^Relayed connection \d+ from 127\.0\.0\.1:\d+ to tcp://127\.0\.0\.1:{http.Port}: \d+ bytes to it, \d+ bytes back, [0-9.]+ s$", l));
        Assert.All(lines, l => Assert.True(long.Parse(l.Split(", ")[1].Split(' ')[0]) > site.Blob.Length, l));
    }

    [Fact]
    public async Task Relay_HttpOneZeroExchangeByHand_TheTargetsCloseEndsTheClientsRead()
    {
        using var site = new TempSite();
        await using var http = await HttpServer.StartAsync(site.Path);
        await using var relay = await Relay.StartAsync("tcp://127.0.0.1:0", $"tcp://127.0.0.1:{http.Port}");

        using var client = await ConnectAsync(relay.Port);
        await client.SendAsync("GET /blob.bin HTTP/1.0\r\nHost: x\r\n\r\n"u8.ToArray());
        var reply = await ReadToEndAsync(client);

        var text = Encoding.Latin1.GetString(reply);
        Assert.StartsWith("HTTP/1.0 200 OK\r\n", text);
        var bodyAt = text.IndexOf("\r\n\r\n", StringComparison.Ordinal) + 4;
        Assert.Equal(site.Blob, reply[bodyAt..]);
    }

    [Fact]
    public async Task Relay_ClientShutsDownWriteThenReadsTheAnswer_TheTargetSawEndOfStream()
    {
        var request = RandomNumberGenerator.GetBytes(5 * 1024 * 1024 + 11);
        using var target = Listen();
        await using var relay = await Relay.StartAsync("tcp://127.0.0.1:0", $"tcp://127.0.0.1:{Port(target)}");
        var serving = Task.Run(async () =>
        {
            using var peer = await target.AcceptAsync();
            var received = await ReadToEndAsync(peer); // only ends if the client's FIN came through
            await peer.SendAsync(SHA256.HashData(received));
            peer.Shutdown(SocketShutdown.Send);
        });

        using var client = await ConnectAsync(relay.Port);
        await client.SendAsync(request);
        client.Shutdown(SocketShutdown.Send);
        var answer = await ReadToEndAsync(client);

        await serving.WaitAsync(CliRun.TestTimeout);
        Assert.Equal(SHA256.HashData(request), answer);
    }

    [Fact]
    public async Task Relay_TlsToPlainAndPlainToTls_ChainedBytesIntactBothWays()
    {
        // client --tcp--> relay 2 --tls--> relay 1 --tcp--> target: TLS originated by one relay, terminated by the other.
        var request = RandomNumberGenerator.GetBytes(2 * 1024 * 1024 + 1);
        using var target = Listen();
        await using var terminating = await Relay.StartAsync("tls://127.0.0.1:0", $"tcp://127.0.0.1:{Port(target)}");
        var fingerprint = terminating.Fingerprint();
        await using var originating = await Relay.StartAsync("tcp://127.0.0.1:0", $"tls://127.0.0.1:{terminating.Port}", "--fingerprint", fingerprint);
        var serving = Task.Run(async () =>
        {
            using var peer = await target.AcceptAsync();
            var received = await ReadToEndAsync(peer);
            await peer.SendAsync(SHA256.HashData(received));
            await peer.SendAsync(received);
            peer.Shutdown(SocketShutdown.Send);
        });

        using var client = await ConnectAsync(originating.Port);
        await client.SendAsync(request);
        client.Shutdown(SocketShutdown.Send);
        var answer = await ReadToEndAsync(client);

        await serving.WaitAsync(CliRun.TestTimeout);
        Assert.Equal(SHA256.HashData(request), answer[..32]);
        Assert.Equal(request, answer[32..]);
    }

    [Fact]
    public async Task Relay_NothingListensAtTo_ClientClosedReasonLoggedInOneLine_NextClientTriesAgain()
    {
        var port = UnusedPort();
        await using var relay = await Relay.StartAsync("tcp://127.0.0.1:0", $"tcp://127.0.0.1:{port}");

        for (var i = 0; i < 2; i++)
        {
            // Nothing sent: bytes the relay never read would turn the close into a reset (the kernel's rule, as with socat).
            using var client = await ConnectAsync(relay.Port);
            Assert.Empty(await ReadToEndAsync(client));
        }

        var result = await relay.StopAsync();
        var reasons = result.Output.Split('\n').Where(l => l.Contains("cannot reach", StringComparison.Ordinal)).ToList();
        Assert.Equal(2, reasons.Count);
        Assert.All(reasons, l => Assert.Matches(
            $@"^Closing connection \d+ from 127\.0\.0\.1:\d+: cannot reach tcp://127\.0\.0\.1:{port}: connection refused by 127\.0\.0\.1:{port} \(ECONNREFUSED\)$", l));
        Assert.DoesNotContain("Relayed connection", result.Output);
    }

    [Fact]
    public async Task Relay_DefaultRoom_HalfTheClients_ASixthWithSplice()
    {
        // Two descriptors per relay, six with --splice (a pipe's two ends per direction): the default --max-conns follows.
        var plain = await RoomForAsync();
        var spliced = await RoomForAsync("--splice");
        Assert.True(plain > 3, $"room for {plain}");
        Assert.Equal(plain / 3, spliced);

        static async Task<int> RoomForAsync(params string[] more)
        {
            await using var relay = await Relay.StartAsync("tcp://127.0.0.1:0", "tcp://127.0.0.1:9", more);
            var result = await relay.StopAsync();
            var line = Assert.Single(result.Error.Split('\n'), l => l.Contains(": room for ", StringComparison.Ordinal));
            return int.Parse(line.Split(": room for ")[1].Split(' ')[0]);
        }
    }

    [Theory]
    [InlineData("udp://127.0.0.1:5", "sockcat: relay carries a byte stream, and udp://127.0.0.1:5 is not one; give TO as tcp://HOST:PORT, unix:///PATH, tls://HOST:PORT or ws://HOST:PORT/PATH\n")]
    [InlineData("tcp://127.0.0.1:0", "sockcat: TO tcp://127.0.0.1:0 has port 0, which only means something when listening; give the target's port, e.g. tcp://127.0.0.1:80\n")]
    public async Task Relay_BadTo_OneLineUsageError(string to, string error)
    {
        var result = await CliRun.InvokeAsync("relay", "tcp://127.0.0.1:0", to);

        Assert.Equal(ExitCodes.Usage, result.ExitCode);
        Assert.Equal(error, result.Error);
    }

    [Fact]
    public async Task Relay_InsecureWithPlainTo_OneLineUsageError()
    {
        var result = await CliRun.InvokeAsync("relay", "tcp://127.0.0.1:0", "tcp://127.0.0.1:80", "--insecure");

        Assert.Equal(ExitCodes.Usage, result.ExitCode);
        Assert.Equal("sockcat: --insecure and --fingerprint are for a tls:// TO, and tcp://127.0.0.1:80 is not one; use tls://127.0.0.1:80\n", result.Error);
    }

    private static Socket Listen()
    {
        var socket = new Socket(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp);
        socket.Bind(new IPEndPoint(IPAddress.Loopback, 0));
        socket.Listen(16);
        return socket;
    }

    private static int Port(Socket socket) => ((IPEndPoint)socket.LocalEndPoint!).Port;

    private static int UnusedPort()
    {
        using var probe = new Socket(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp);
        probe.Bind(new IPEndPoint(IPAddress.Loopback, 0));
        return Port(probe);
    }

    private static async Task<Socket> ConnectAsync(int port)
    {
        var socket = new Socket(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp);
        await socket.ConnectAsync(new IPEndPoint(IPAddress.Loopback, port));
        return socket;
    }

    private static async Task<byte[]> ReadToEndAsync(Socket socket)
    {
        using var timeout = new CancellationTokenSource(CliRun.TestTimeout);
        var all = new MemoryStream();
        var buffer = new byte[64 * 1024];
        int n;
        while ((n = await socket.ReceiveAsync(buffer, timeout.Token)) > 0)
        {
            all.Write(buffer, 0, n);
        }

        return all.ToArray();
    }

    private static async Task<byte[]> CurlAsync(params string[] args)
    {
        var start = new ProcessStartInfo("curl") { RedirectStandardOutput = true, RedirectStandardError = true };
        foreach (var arg in (string[])["-sS", "--max-time", "30", .. args])
        {
            start.ArgumentList.Add(arg);
        }

        using var curl = Process.Start(start)!;
        var body = new MemoryStream();
        var copy = curl.StandardOutput.BaseStream.CopyToAsync(body);
        var error = await curl.StandardError.ReadToEndAsync();
        await copy;
        await curl.WaitForExitAsync();
        Assert.True(curl.ExitCode == 0, $"curl exited {curl.ExitCode}: {error}");
        return body.ToArray();
    }

    /// <summary>A directory with one random file, blob.bin, for the HTTP server to serve.</summary>
    private sealed class TempSite : IDisposable
    {
        public TempSite()
        {
            Path = Directory.CreateTempSubdirectory("sockcat-relay-site-").FullName;
            Blob = RandomNumberGenerator.GetBytes(3 * 1024 * 1024 + 7);
            File.WriteAllBytes(System.IO.Path.Combine(Path, "blob.bin"), Blob);
        }

        public string Path { get; }

        public byte[] Blob { get; }

        public void Dispose() => Directory.Delete(Path, recursive: true);
    }

    /// <summary>python3 -m http.server on a port the system picks, as a real HTTP/1.0 server that closes after each answer.</summary>
    private sealed class HttpServer(Process process, int port) : IAsyncDisposable
    {
        public int Port { get; } = port;

        public static async Task<HttpServer> StartAsync(string directory)
        {
            var start = new ProcessStartInfo("python3") { RedirectStandardOutput = true, RedirectStandardError = true };
            foreach (var arg in (string[])["-u", "-m", "http.server", "0", "--bind", "127.0.0.1", "--directory", directory])
            {
                start.ArgumentList.Add(arg);
            }

            var process = Process.Start(start)!;
            _ = process.StandardError.ReadToEndAsync();
            using var timeout = new CancellationTokenSource(CliRun.TestTimeout);
            // "Serving HTTP on 127.0.0.1 port 43567 (http://127.0.0.1:43567/) ..."
            var line = await process.StandardOutput.ReadLineAsync(timeout.Token) ?? throw new InvalidOperationException("python3 -m http.server did not start");
            var port = int.Parse(line.Split(" port ")[1].Split(' ')[0]);
            _ = process.StandardOutput.ReadToEndAsync();
            return new HttpServer(process, port);
        }

        public async ValueTask DisposeAsync()
        {
            process.Kill();
            await process.WaitForExitAsync();
            process.Dispose();
        }
    }

    /// <summary>A <c>sockcat relay</c> run in process, stopped as Ctrl+C stops it.</summary>
    private sealed class Relay : IAsyncDisposable
    {
        private readonly CancellationTokenSource _stop;
        private readonly Task<CliResult> _run;
        private readonly SyncWriter _error;

        private Relay(CancellationTokenSource stop, Task<CliResult> run, SyncWriter error, int port)
        {
            _stop = stop;
            _run = run;
            _error = error;
            Port = port;
        }

        public int Port { get; }

        public static async Task<Relay> StartAsync(string from, string to, params string[] more)
        {
            var stop = new CancellationTokenSource();
            var (run, error) = CliRun.Start(new MemoryStream(), stop.Token, ["relay", from, to, "--drain", "0", .. more]);
            var scheme = from.Split("://")[0];
            var deadline = DateTime.UtcNow + CliRun.TestTimeout;
            var announce = $"listening on {scheme}://127.0.0.1:";
            while (DateTime.UtcNow < deadline && !run.IsCompleted)
            {
                var text = error.Text;
                var at = text.IndexOf(announce, StringComparison.Ordinal);
                if (at >= 0 && text.IndexOf('\n', at) is var end and > 0)
                {
                    return new Relay(stop, run, error, int.Parse(text[(at + announce.Length)..end].Trim().TrimEnd('/')));
                }

                await Task.Delay(20);
            }

            throw new InvalidOperationException($"relay never announced its port; stderr: {error.Text}");
        }

        /// <summary>The self-signed certificate's fingerprint a tls:// FROM announced.</summary>
        public string Fingerprint() => _error.Text.Split("SHA-256 ")[1].Split('\n')[0].Trim();

        public async Task<CliResult> StopAsync()
        {
            await _stop.CancelAsync();
            return await _run.WaitAsync(CliRun.TestTimeout);
        }

        public async ValueTask DisposeAsync()
        {
            if (!_run.IsCompleted)
            {
                await StopAsync();
            }

            _stop.Dispose();
        }
    }
}
