using System.Diagnostics;
using System.Net;
using System.Net.Sockets;
using System.Text.Json;
using SockCat.Bench;
using SockCat.Endpoints;
using SockCat.Services.Echo;
using SockCat.Testing;

namespace SockCat.IntegrationTests.Bench;

/// <summary>
/// The load generator over tls:// (its SslStream driver, <see cref="TlsBenchDriver"/>) against SockCat's own TLS echo
/// server and against a TLS peer that corrupts, closes or stops answering; and the same driver over plain tcp and unix
/// (<c>--io async</c>).
/// </summary>
public sealed class TlsBenchTests
{
    private static readonly TimeSpan Bound = TimeSpan.FromSeconds(60);

    private static BenchOptions Options(BenchMode mode, string url, int connections) => new()
    {
        Mode = mode,
        Url = EndpointUrl.Parse(url),
        Connections = connections,
        WarmupSeconds = 0,
        // No test here waits for a connect to time out; the bound is for a loaded machine, where a TLS handshake with the
        // thread-per-connection test server once took longer than 5 s (and the bench waits a conns check round as long).
        ConnectTimeoutSeconds = 20,
    };

    private static Task<BenchResult> RunAsync(BenchOptions options)
    {
        using var cts = new CancellationTokenSource(Bound);
        return LoadGenerator.RunAsync(options, null, cts.Token).WaitAsync(Bound);
    }

    private static Task<LoopbackServer> StartSockCatTlsAsync() => LoopbackServer.StartAsync(TestTransport.KestrelTls, _ => EchoProtocol.Instance);

    [Fact]
    public async Task PingPong_SockCatTlsEcho_EveryMessageEchoedAndTimed()
    {
        await using var server = await StartSockCatTlsAsync();

        var result = await RunAsync(Options(BenchMode.PingPong, server.Endpoint.ToString(), 4) with { MessageCount = 250 });

        Assert.Equal(0, result.Errors.Total);
        Assert.Equal(4, result.Connected);
        Assert.Equal(4 * 250, result.Messages);
        Assert.Equal(4 * 250 * 32, result.Bytes);
        Assert.Equal(4 * 250, result.Latency.Count);
        Assert.True(result.Latency.Percentile(50) > 0);
        Assert.True(result.Succeeded);
        Assert.Equal(BenchIo.Tls, result.Io);
        Assert.Matches("^TLSv1\\.[23]$", result.TlsProtocol);
        Assert.False(string.IsNullOrEmpty(result.TlsCipher));
    }

    [Fact]
    public async Task PingPong_SslSchemeWindowAndOddSize_CountsEveryMessage()
    {
        await using var server = await StartSockCatTlsAsync();

        var result = await RunAsync(Options(BenchMode.PingPong, $"ssl://127.0.0.1:{server.Endpoint.Port}", 3) with
        {
            MessageCount = 300,
            Window = 8,
            MessageSize = 1000,
        });

        Assert.Equal(0, result.Errors.Total);
        Assert.Equal(3 * 300, result.Messages);
        Assert.Equal(3 * 300 * 1000, result.Bytes);
        Assert.Equal(BenchIo.Tls, result.Io);
    }

    [Fact]
    public async Task Stream_SockCatTlsEcho_VerifiesEveryByte()
    {
        await using var server = await StartSockCatTlsAsync();

        var result = await RunAsync(Options(BenchMode.Stream, server.Endpoint.ToString(), 2) with { MessageCount = 1000, MessageSize = 1024 });

        Assert.Equal(0, result.Errors.Total);
        Assert.Equal(2L * 1000 * 1024, result.Bytes);
        Assert.Equal(BenchIo.Tls, result.Io);
    }

    [Fact]
    public async Task PingPong_Duration_RunsForItAndStopsCleanly()
    {
        await using var server = await StartSockCatTlsAsync();

        var result = await RunAsync(Options(BenchMode.PingPong, server.Endpoint.ToString(), 2) with { DurationSeconds = 0.5, WarmupSeconds = 0.2 });

        Assert.Equal(0, result.Errors.Total);
        // Measured for at least the duration; how much longer a loaded machine takes to stop is not the bench's to promise.
        Assert.True(result.Seconds >= 0.45, $"measured {result.Seconds} s of a 0.5 s run");
        Assert.True(result.Messages > 0);
        Assert.Equal(result.Messages, result.Latency.Count);
        Assert.True(result.Succeeded);
    }

    [Fact]
    public async Task Stream_PeerFlipsOneByte_ReportsAVerifyError()
    {
        await using var server = new TestEchoServer(corruptAt: 70_000, tls: true);

        var result = await RunAsync(Options(BenchMode.Stream, $"tls://127.0.0.1:{server.Port}", 1) with { MessageCount = 200, MessageSize = 1024 });

        Assert.Equal(1, result.Errors.Verify);
        Assert.Equal(1, result.Errors.Total);
        Assert.Contains("70000", result.Errors.First);
        Assert.False(result.Succeeded);
    }

    [Fact]
    public async Task PingPong_PeerFlipsOneByte_ReportsAVerifyError()
    {
        await using var server = new TestEchoServer(corruptAt: (3 * 32) + 5, tls: true);

        var result = await RunAsync(Options(BenchMode.PingPong, $"tls://127.0.0.1:{server.Port}", 2) with { MessageCount = 20 });

        Assert.Equal(2, result.Errors.Verify);
        Assert.Equal(2, result.Errors.Total);
        Assert.Equal(2 * 3, result.Messages);
        Assert.Contains("differs", result.Errors.First);
    }

    [Fact]
    public async Task PingPong_PeerClosesMidRun_ReportsClosedErrors()
    {
        await using var server = new TestEchoServer(closeAfter: 10 * 32, tls: true);

        var result = await RunAsync(Options(BenchMode.PingPong, $"tls://127.0.0.1:{server.Port}", 2) with { MessageCount = 100 });

        Assert.Equal(2, result.Errors.Closed);
        Assert.Equal(2, result.Errors.Total);
        Assert.Equal(2 * 10, result.Messages);
        Assert.Matches("closed|failed", result.Errors.First);
        Assert.False(result.Succeeded);
    }

    [Fact]
    public async Task Stream_PeerClosesMidRun_ReportsClosedErrors()
    {
        await using var server = new TestEchoServer(closeAfter: 100_000, tls: true);

        var result = await RunAsync(Options(BenchMode.Stream, $"tls://127.0.0.1:{server.Port}", 2) with { MessageCount = 1000, MessageSize = 1024 });

        Assert.Equal(2, result.Errors.Closed);
        Assert.Equal(0, result.Errors.Verify);
        // The peer may reset rather than close (input it never read), dropping the last echo it sent.
        Assert.InRange(result.Bytes, 1, 2 * 100_000);
        Assert.False(result.Succeeded);
    }

    [Fact]
    public async Task PingPong_PeerStopsAnswering_ReportsTimeoutsAfterTheDrain()
    {
        await using var server = new TestEchoServer(echoUntil: 5 * 32, tls: true);

        var result = await RunAsync(Options(BenchMode.PingPong, $"tls://127.0.0.1:{server.Port}", 3) with { DurationSeconds = 0.5, DrainSeconds = 0.3 });

        Assert.Equal(3, result.Errors.Timeout);
        Assert.Equal(3, result.Errors.Total);
        Assert.Equal(3 * 5, result.Messages);
        Assert.Contains("still waited for 32 echoed bytes", result.Errors.First);
    }

    [Fact]
    public async Task PingPong_PlainEchoOnTlsUrl_EveryHandshakeFails()
    {
        // A plain echo server sends the ClientHello back: no TLS session, and no connection counted as made.
        await using var server = new TestEchoServer();

        var result = await RunAsync(Options(BenchMode.PingPong, $"tls://127.0.0.1:{server.Port}", 3) with { MessageCount = 10 });

        Assert.Equal(0, result.Connected);
        Assert.Equal(3, result.Errors.Connect);
        Assert.Contains("TLS handshake", result.Errors.First);
        Assert.Null(result.TlsProtocol);
    }

    [Fact]
    public async Task PingPong_NothingListening_EveryConnectFails()
    {
        var port = LoopbackPorts.Unused();

        var result = await RunAsync(Options(BenchMode.PingPong, $"tls://127.0.0.1:{port}", 3) with { MessageCount = 10 });

        Assert.Equal(0, result.Connected);
        Assert.Equal(3, result.Errors.Connect);
        Assert.Contains("refused", result.Errors.First, StringComparison.OrdinalIgnoreCase);
    }

    [Fact]
    public async Task PingPong_AsyncDriverOverTcp_CountsEveryMessage()
    {
        await using var server = new TestEchoServer();

        var result = await RunAsync(Options(BenchMode.PingPong, $"tcp://127.0.0.1:{server.Port}", 4) with { MessageCount = 200, Io = BenchIo.Async });

        Assert.Equal(0, result.Errors.Total);
        Assert.Equal(4 * 200, result.Messages);
        Assert.Equal(4 * 200, result.Latency.Count);
        Assert.Equal(BenchIo.Async, result.Io);
        Assert.Null(result.TlsProtocol);
    }

    [Fact]
    public async Task Stream_AsyncDriverOverUnix_VerifiesEveryByte()
    {
        var path = Path.Combine(Path.GetTempPath(), $"sockcat-bench-{Guid.NewGuid():N}.sock");
        try
        {
            await using var server = new TestEchoServer(bindTo: new UnixDomainSocketEndPoint(path));

            var result = await RunAsync(Options(BenchMode.Stream, $"unix://{path}", 2) with { MessageCount = 500, MessageSize = 1024, Io = BenchIo.Async });

            Assert.Equal(0, result.Errors.Total);
            Assert.Equal(2L * 500 * 1024, result.Bytes);
            Assert.Equal(BenchIo.Async, result.Io);
        }
        finally
        {
            File.Delete(path);
        }
    }

    [Fact]
    public async Task Stream_AsyncDriverPeerFlipsOneByte_ReportsAVerifyError()
    {
        await using var server = new TestEchoServer(corruptAt: 70_000);

        var result = await RunAsync(Options(BenchMode.Stream, $"tcp://127.0.0.1:{server.Port}", 1) with { MessageCount = 200, MessageSize = 1024, Io = BenchIo.Async });

        Assert.Equal(1, result.Errors.Verify);
        Assert.Contains("70000", result.Errors.First);
    }

    [Theory]
    [InlineData("Conns", "tls://127.0.0.1:4443", null, "bench conns runs on the epoll loop")]
    [InlineData("Conns", "tcp://127.0.0.1:4444", "Async", "bench conns runs on the epoll loop")]
    [InlineData("PingPong", "tls://127.0.0.1:4443", "Uring", "leave out --io")]
    [InlineData("Stream", "tls://127.0.0.1:4443", "Epoll", "leave out --io")]
    [InlineData("PingPong", "tcp://127.0.0.1:4444", "Tls", "--io tls needs a tls:// URL")]
    [InlineData("PingPong", "tls://127.0.0.1:0", null, "needs the server's port")]
    public void Validate_TlsMisuse_SaysWhatToDo(string mode, string url, string? io, string expected)
    {
        var options = Options(Enum.Parse<BenchMode>(mode), url, 1) with { Io = io is null ? null : Enum.Parse<BenchIo>(io) };

        Assert.Contains(expected, options.Validate());
    }

    [Fact]
    public void Validate_TlsPingPongAndStream_AreAccepted()
    {
        Assert.Null((Options(BenchMode.PingPong, "tls://127.0.0.1:4443", 1) with { Io = BenchIo.Tls }).Validate());
        Assert.Null(Options(BenchMode.Stream, "ssl://localhost:4443", 1).Validate());
    }

    [Fact]
    public async Task Cli_TlsJson_SaysTlsCarriedIt()
    {
        await using var server = await StartSockCatTlsAsync();

        var (exit, stdout, stderr) = await CliProcess.RunAsync(Bound, "bench", "pingpong", server.Endpoint.ToString(), "-c", "2", "-n", "50", "--json", "--no-progress");

        Assert.True(exit == 0, stderr);
        using var json = JsonDocument.Parse(stdout);
        var root = json.RootElement;
        Assert.Equal("tls", root.GetProperty("io").GetString());
        Assert.StartsWith("TLSv1.", root.GetProperty("tlsProtocol").GetString());
        Assert.Equal(100, root.GetProperty("messages").GetInt64());
        Assert.Equal(0, root.GetProperty("errors").GetProperty("total").GetInt64());
        Assert.True(root.GetProperty("ok").GetBoolean());
    }

    [Fact]
    public async Task Cli_ConnsOverTls_OneLineUsageError()
    {
        var (exit, stdout, stderr) = await CliProcess.RunAsync(Bound, "bench", "conns", "tls://127.0.0.1:4443", "-c", "10");

        Assert.Equal(2, exit);
        Assert.Equal("", stdout);
        var error = stderr.Trim();
        Assert.StartsWith("sockcat: bench conns runs on the epoll loop", error);
        Assert.DoesNotContain("\n", error);
    }
}
