using System.Text;
using SockCat.Cli.Tests.Transfer;
using SockCat.Endpoints;
using SockCat.Server;
using SockCat.Testing;
using SockCat.Services.Echo;

namespace SockCat.Cli.Tests;

/// <summary>
/// --proxy, --no-proxy and the proxy variables on connect, send and bench, against proxies no one here wrote (microsocks,
/// danted, tinyproxy), each started on a free loopback port and killed by its PID; each failure one line and its own code.
/// </summary>
public sealed class ProxyCommandTests
{
    [Fact]
    public async Task Connect_ThroughDanteSocks5_EchoesStdin_AndEndsOnTheHalfClose()
    {
        using var proxy = await ProxyPeer.DanteAsync();
        await using var target = new ProxyTarget();

        var result = await CliRun.InvokeAsync("one\ntwo\n"u8.ToArray(), "connect", $"tcp://localhost:{target.Port}", "--proxy", $"socks5://127.0.0.1:{proxy.Port}");

        Assert.True(result.ExitCode == 0, result.Error);
        Assert.Equal("one\ntwo\n", result.StdoutText);
    }

    [Fact]
    public async Task Connect_ThroughDanteSocks4a_EchoesStdin()
    {
        using var proxy = await ProxyPeer.DanteAsync();
        await using var target = new ProxyTarget();

        var result = await CliRun.InvokeAsync("four\n"u8.ToArray(), "connect", "-v", $"tcp://127.0.0.1:{target.Port}", "--proxy", $"socks4a://127.0.0.1:{proxy.Port}");

        Assert.True(result.ExitCode == 0, result.Error);
        Assert.Equal("four\n", result.StdoutText);
        Assert.Contains($"sockcat: connected to tcp://127.0.0.1:{target.Port} via socks4a://127.0.0.1:{proxy.Port}", result.Error, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Connect_ThroughMicrosocksWithAuth_PrintsWhatTheTargetSays()
    {
        // microsocks closes both ways at the client's FIN, so the client here only reads (as nc -d).
        using var proxy = await ProxyPeer.MicrosocksAsync("alice", "s3cret");
        await using var target = new ProxyTarget("hello from the target\n", closeAfterGreeting: true);

        var result = await CliRun.InvokeAsync("connect", "--recv-only", $"tcp://localhost:{target.Port}", "--proxy", $"socks5://alice:s3cret@127.0.0.1:{proxy.Port}");

        Assert.True(result.ExitCode == 0, result.Error);
        Assert.Equal("hello from the target\n", result.StdoutText);
    }

    [Fact]
    public async Task Connect_ThroughTinyproxy_PrintsWhatTheTargetSays()
    {
        await using var target = new ProxyTarget("220 ready\r\n", closeAfterGreeting: true);
        using var proxy = await ProxyPeer.TinyproxyAsync(target.Port);

        var result = await CliRun.InvokeAsync("connect", "--recv-only", $"tcp://localhost:{target.Port}", "--proxy", $"http://127.0.0.1:{proxy.Port}");

        Assert.True(result.ExitCode == 0, result.Error);
        Assert.Equal("220 ready\r\n", result.StdoutText);
    }

    [Fact]
    public async Task Connect_WebSocketThroughDante_EachLineAMessageBack()
    {
        using var proxy = await ProxyPeer.DanteAsync();
        await using var server = new SockCatServer(new ServerOptions());
        server.ListenWeb(EndpointUrl.Parse("ws://127.0.0.1:0/echo"), routes => routes.MapWebSocketEcho("/echo"));
        var port = (await server.StartAsync())[0].Port;

        var result = await CliRun.InvokeAsync("hello\nthrough\n"u8.ToArray(), "connect", "-v", $"ws://localhost:{port}/echo", "--proxy", $"socks5://127.0.0.1:{proxy.Port}");

        Assert.True(result.ExitCode == 0, result.Error);
        Assert.Equal("hello\nthrough\n", result.StdoutText);
        Assert.Contains($"(WebSocket) via socks5://127.0.0.1:{proxy.Port}", result.Error, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Connect_ZWithAProxy_IsUsage()
    {
        var result = await CliRun.InvokeAsync("connect", "-z", "127.0.0.1", "80", "--proxy", "socks5://127.0.0.1:1");

        Assert.Equal(ExitCodes.Usage, result.ExitCode);
        Assert.StartsWith("sockcat: -z probes ports directly", result.Error, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("alice:wrong@", ExitCodes.ProxyAuthFailed, "refused the user name 'alice' and its password (RFC 1929 status 2); check the user name and password in the proxy URL")]
    [InlineData("", ExitCodes.ProxyAuthFailed, "requires a user name and password; give them in the proxy URL: socks5://user:password@host:port")]
    public async Task Connect_MicrosocksAuthRefusedOrMissing_OneLine_Exit9(string credentials, int code, string words)
    {
        using var proxy = await ProxyPeer.MicrosocksAsync("alice", "s3cret");
        await using var target = new ProxyTarget();

        var result = await CliRun.InvokeAsync("connect", $"tcp://127.0.0.1:{target.Port}", "--proxy", $"socks5://{credentials}127.0.0.1:{proxy.Port}");

        Assert.Equal(code, result.ExitCode);
        Assert.Equal($"sockcat: the SOCKS5 proxy 127.0.0.1:{proxy.Port} {words}\n", result.Error.Replace("\r", "", StringComparison.Ordinal));
    }

    [Fact]
    public async Task Connect_TargetRefusedBehindMicrosocks_OneLine_Exit10()
    {
        using var proxy = await ProxyPeer.MicrosocksAsync();
        var closed = LoopbackPorts.Unused();

        var result = await CliRun.InvokeAsync("connect", $"tcp://127.0.0.1:{closed}", "--proxy", $"socks5://127.0.0.1:{proxy.Port}");

        Assert.Equal(ExitCodes.ProxyTargetFailed, result.ExitCode);
        Assert.Equal(
            $"sockcat: the SOCKS5 proxy 127.0.0.1:{proxy.Port} could not connect to 127.0.0.1:{closed}: connection refused (SOCKS5 reply 5); is a server listening there, as the proxy sees it?\n",
            result.Error);
    }

    [Fact]
    public async Task Connect_TinyproxyForbidsThePort_OneLine_Exit10()
    {
        await using var target = new ProxyTarget();
        using var proxy = await ProxyPeer.TinyproxyAsync(target.Port == 65535 ? 1 : target.Port + 1);

        var result = await CliRun.InvokeAsync("connect", $"tcp://127.0.0.1:{target.Port}", "--proxy", $"http://127.0.0.1:{proxy.Port}");

        Assert.Equal(ExitCodes.ProxyTargetFailed, result.ExitCode);
        Assert.StartsWith($"sockcat: the HTTP proxy 127.0.0.1:{proxy.Port} will not connect to 127.0.0.1:{target.Port} (403 ", result.Error, StringComparison.Ordinal);
        Assert.Single(result.Error.TrimEnd('\n').Split('\n'));
    }

    [Fact]
    public async Task Connect_NoProxyListening_OneLine_Exit8()
    {
        var closed = LoopbackPorts.Unused();

        var result = await CliRun.InvokeAsync("connect", "tcp://127.0.0.1:7", "--proxy", $"socks5://127.0.0.1:{closed}");

        Assert.Equal(ExitCodes.ProxyUnreachable, result.ExitCode);
        Assert.Equal($"sockcat: cannot reach the SOCKS5 proxy: connection refused by 127.0.0.1:{closed} (ECONNREFUSED); is the proxy running there? check the proxy URL\n", result.Error);
    }

    [Fact]
    public async Task Connect_HttpProxyUrlAtASocksProxy_OneLine_Exit11()
    {
        using var proxy = await ProxyPeer.MicrosocksAsync();

        var result = await CliRun.InvokeAsync("connect", "tcp://127.0.0.1:7", "--proxy", $"http://127.0.0.1:{proxy.Port}");

        Assert.Equal(ExitCodes.ProxyProtocol, result.ExitCode);
        Assert.StartsWith($"sockcat: the HTTP proxy 127.0.0.1:{proxy.Port} ", result.Error, StringComparison.Ordinal);
        Assert.Single(result.Error.TrimEnd('\n').Split('\n'));
    }

    [Theory]
    [InlineData("ftp://127.0.0.1:21", "--proxy: proxy 'ftp://127.0.0.1:21' has the scheme 'ftp', which is not a proxy's")]
    [InlineData("socks5://127.0.0.1:0", "--proxy: proxy 'socks5://127.0.0.1:0' has the port '0'")]
    public async Task Connect_BadProxyUrl_IsUsage(string proxy, string words)
    {
        var result = await CliRun.InvokeAsync("connect", "tcp://127.0.0.1:7", "--proxy", proxy);

        Assert.Equal(ExitCodes.Usage, result.ExitCode);
        Assert.StartsWith($"sockcat: {words}", result.Error, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Connect_ProxyAndNoProxy_IsUsage()
    {
        var result = await CliRun.InvokeAsync("connect", "tcp://127.0.0.1:7", "--proxy", "socks5://127.0.0.1:1", "--no-proxy");

        Assert.Equal(ExitCodes.Usage, result.ExitCode);
        Assert.Equal("sockcat: --proxy and --no-proxy exclude each other; give one of them\n", result.Error);
    }

    [Fact]
    public async Task Send_ThroughMicrosocksToAReceiver_TheVerdictComesBack()
    {
        using var proxy = await ProxyPeer.MicrosocksAsync();
        await using var receiver = await TestReceiver.StartAsync();
        var source = TempDirectory.Create();
        try
        {
            var (path, sha) = TransferFiles.Random(source, "via-proxy.bin", (1 << 20) + 3);

            var result = await CliRun.InvokeAsync("send", $"tcp://localhost:{receiver.Port}", path, "--verify", "--proxy", $"socks5://127.0.0.1:{proxy.Port}");

            Assert.True(result.ExitCode == 0, result.Error);
            Assert.Contains($"sha256 {sha} verified", result.Error, StringComparison.Ordinal);
            Assert.True((await receiver.NextOutcomeAsync()).Verified);
            Assert.Equal(sha, receiver.HashOf("via-proxy.bin"));
            Assert.Contains($"connected to localhost:{receiver.Port}", proxy.Log, StringComparison.Ordinal);
        }
        finally
        {
            TempDirectory.Delete(source);
        }
    }

    [Fact]
    public async Task Bench_PingpongThroughDante_EveryEchoVerified()
    {
        using var proxy = await ProxyPeer.DanteAsync();
        await using var target = new ProxyTarget();

        var result = await CliRun.InvokeAsync("bench", "pingpong", $"tcp://127.0.0.1:{target.Port}", "-c", "2", "--count", "200", "--warmup", "0",
            "--no-progress", "--json", "--proxy", $"socks5://127.0.0.1:{proxy.Port}");

        Assert.True(result.ExitCode == 0, result.Error);
        Assert.Contains("\"messages\":400", result.Output.Replace(" ", "", StringComparison.Ordinal), StringComparison.Ordinal);
    }

    // The environment, as a user's shell sets it: a process of its own, so no variable leaks into other tests.

    [Fact]
    public async Task Connect_AllProxyInTheEnvironment_IsUsed()
    {
        using var proxy = await ProxyPeer.MicrosocksAsync();
        await using var target = new ProxyTarget("via the environment\n", closeAfterGreeting: true);

        var (code, stdout, stderr) = await SockcatProcess.RunAsync([], ["connect", "--recv-only", "-v", $"tcp://localhost:{target.Port}"],
            environment: new Dictionary<string, string> { ["ALL_PROXY"] = $"socks5h://127.0.0.1:{proxy.Port}" });

        Assert.True(code == 0, stderr);
        Assert.Equal("via the environment\n", Encoding.ASCII.GetString(stdout));
        Assert.Contains($"via socks5://127.0.0.1:{proxy.Port} (from ALL_PROXY)", stderr, StringComparison.Ordinal);
        Assert.Contains($"connected to localhost:{target.Port}", proxy.Log, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Connect_AllProxyDead_NoProxyFlagAndNoProxyVariable_GoDirect_WithoutThemExit8()
    {
        await using var target = new ProxyTarget("direct\n", closeAfterGreeting: true);
        var dead = new Dictionary<string, string> { ["ALL_PROXY"] = $"socks5://127.0.0.1:{LoopbackPorts.Unused()}" };
        string[] connect = ["connect", "--recv-only", $"tcp://localhost:{target.Port}"];

        var through = await SockcatProcess.RunAsync([], connect, environment: dead);
        var flag = await SockcatProcess.RunAsync([], [.. connect, "--no-proxy"], environment: dead);
        var listed = await SockcatProcess.RunAsync([], connect, environment: new Dictionary<string, string>(dead) { ["NO_PROXY"] = "example.com,localhost" });

        Assert.Equal(ExitCodes.ProxyUnreachable, through.ExitCode);
        Assert.StartsWith("sockcat: cannot reach the SOCKS5 proxy: connection refused", through.Stderr, StringComparison.Ordinal);
        Assert.True(flag.ExitCode == 0, flag.Stderr);
        Assert.Equal("direct\n", Encoding.ASCII.GetString(flag.Stdout));
        Assert.True(listed.ExitCode == 0, listed.Stderr);
        Assert.Equal("direct\n", Encoding.ASCII.GetString(listed.Stdout));
    }

    [Fact]
    public async Task Connect_HttpsProxyIsForTlsTargets_AllProxyForTcp()
    {
        await using var target = new ProxyTarget("plain\n", closeAfterGreeting: true);
        var environment = new Dictionary<string, string> { ["HTTPS_PROXY"] = $"http://127.0.0.1:{LoopbackPorts.Unused()}" };

        var tcp = await SockcatProcess.RunAsync([], ["connect", "--recv-only", $"tcp://127.0.0.1:{target.Port}"], environment: environment);
        var tls = await SockcatProcess.RunAsync([], ["connect", "--recv-only", $"tls://127.0.0.1:{target.Port}"], environment: environment);

        Assert.True(tcp.ExitCode == 0, tcp.Stderr);
        Assert.Equal(ExitCodes.ProxyUnreachable, tls.ExitCode);
        Assert.StartsWith("sockcat: cannot reach the HTTP proxy", tls.Stderr, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Connect_BadAllProxy_IsUsage_NamingTheVariable()
    {
        var result = await SockcatProcess.RunAsync([], ["connect", "tcp://127.0.0.1:7"], environment: new Dictionary<string, string> { ["all_proxy"] = "gopher://x:70" });

        Assert.Equal(ExitCodes.Usage, result.ExitCode);
        Assert.StartsWith("sockcat: all_proxy: proxy 'gopher://x:70' has the scheme 'gopher'", result.Stderr, StringComparison.Ordinal);
        Assert.EndsWith("(or unset all_proxy, or pass --no-proxy)\n", result.Stderr, StringComparison.Ordinal);
    }
}
