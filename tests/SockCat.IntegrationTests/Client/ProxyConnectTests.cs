using System.Net.Sockets;
using System.Text;
using SockCat.Client;
using SockCat.Client.Proxy;
using SockCat.Endpoints;
using SockCat.Testing;

namespace SockCat.IntegrationTests.Client;

/// <summary>
/// <see cref="SocketClient.ConnectAsync"/> through proxies no one here wrote (microsocks, danted, tinyproxy), each started
/// on a free loopback port for the test and killed by its PID.
/// </summary>
public sealed class ProxyConnectTests
{
    private static readonly TimeSpan Timeout = TimeSpan.FromSeconds(20);

    private static ConnectOptions Through(string proxy) => new() { Proxy = ProxyUrl.Parse(proxy), Timeout = Timeout };

    /// <summary>Sends a line and reads it back: microsocks and tinyproxy close both ways at the client's FIN, so no half-close here.</summary>
    private static async Task<string> RoundTripAsync(ClientConnection connection, string line)
    {
        using var cts = new CancellationTokenSource(Timeout);
        await connection.Stream.WriteAsync(Encoding.ASCII.GetBytes(line), cts.Token);
        var buffer = new byte[line.Length];
        await connection.Stream.ReadExactlyAsync(buffer, cts.Token);
        return Encoding.ASCII.GetString(buffer);
    }

    [Fact]
    public async Task ConnectAsync_ThroughMicrosocks_ReachesTheTargetByName()
    {
        using var proxy = await ProxyPeer.MicrosocksAsync();
        await using var target = new ProxyTarget();

        await using var connection = await SocketClient.ConnectAsync(EndpointUrl.Parse($"tcp://localhost:{target.Port}"), Through($"socks5://127.0.0.1:{proxy.Port}"));

        Assert.Equal("ping\n", await RoundTripAsync(connection, "ping\n"));
        // The name went to the proxy, which resolved it: its log names the target.
        Assert.Contains($"connected to localhost:{target.Port}", proxy.Log, StringComparison.Ordinal);
    }

    [Fact]
    public async Task ConnectAsync_ThroughMicrosocksWithUserAndPassword_Connects()
    {
        using var proxy = await ProxyPeer.MicrosocksAsync("alice", "s3cret");
        await using var target = new ProxyTarget();

        await using var connection = await SocketClient.ConnectAsync(EndpointUrl.Parse($"tcp://127.0.0.1:{target.Port}"), Through($"socks5://alice:s3cret@127.0.0.1:{proxy.Port}"));

        Assert.Equal("ping\n", await RoundTripAsync(connection, "ping\n"));
    }

    [Theory]
    [InlineData("alice:wrong@", "refused the user name 'alice' and its password")]
    [InlineData("", "requires a user name and password")]
    public async Task ConnectAsync_MicrosocksAuthRefusedOrRequired_IsProxyAuthentication(string credentials, string words)
    {
        using var proxy = await ProxyPeer.MicrosocksAsync("alice", "s3cret");
        await using var target = new ProxyTarget();

        var ex = await Assert.ThrowsAsync<ConnectException>(() =>
            SocketClient.ConnectAsync(EndpointUrl.Parse($"tcp://127.0.0.1:{target.Port}"), Through($"socks5://{credentials}127.0.0.1:{proxy.Port}")));

        Assert.Equal(ConnectFailure.ProxyAuthentication, ex.Failure);
        Assert.Contains(words, ex.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task ConnectAsync_TargetRefusedBehindMicrosocks_IsProxyTargetConnectionRefused()
    {
        using var proxy = await ProxyPeer.MicrosocksAsync();
        var closed = LoopbackPorts.Unused();

        var ex = await Assert.ThrowsAsync<ConnectException>(() =>
            SocketClient.ConnectAsync(EndpointUrl.Parse($"tcp://127.0.0.1:{closed}"), Through($"socks5://127.0.0.1:{proxy.Port}")));

        Assert.Equal(ConnectFailure.ProxyTarget, ex.Failure);
        Assert.Equal("SOCKS5_CONNECTION_REFUSED", ex.ErrorName);
        Assert.Equal($"the SOCKS5 proxy 127.0.0.1:{proxy.Port} could not connect to 127.0.0.1:{closed}: connection refused (SOCKS5 reply 5)", ex.Message);
    }

    [Fact]
    public async Task ConnectAsync_ProxyNotListening_IsProxyUnreachable()
    {
        var closed = LoopbackPorts.Unused();

        var ex = await Assert.ThrowsAsync<ConnectException>(() =>
            SocketClient.ConnectAsync(EndpointUrl.Parse("tcp://127.0.0.1:7"), Through($"socks5://127.0.0.1:{closed}")));

        Assert.Equal(ConnectFailure.ProxyUnreachable, ex.Failure);
        Assert.Equal("ECONNREFUSED", ex.ErrorName);
        Assert.Equal($"cannot reach the SOCKS5 proxy: connection refused by 127.0.0.1:{closed} (ECONNREFUSED)", ex.Message);
    }

    [Fact]
    public async Task ConnectAsync_HttpProxyUrlAtMicrosocks_IsProxyProtocol()
    {
        using var proxy = await ProxyPeer.MicrosocksAsync();

        var ex = await Assert.ThrowsAsync<ConnectException>(() =>
            SocketClient.ConnectAsync(EndpointUrl.Parse("tcp://127.0.0.1:7"), Through($"http://127.0.0.1:{proxy.Port}")));

        Assert.Equal(ConnectFailure.ProxyProtocol, ex.Failure);
    }

    [Fact]
    public async Task ConnectAsync_ThroughDanteSocks5_CarriesTheHalfClose()
    {
        using var proxy = await ProxyPeer.DanteAsync();
        await using var target = new ProxyTarget();

        await using var connection = await SocketClient.ConnectAsync(EndpointUrl.Parse($"tcp://localhost:{target.Port}"), Through($"socks5://127.0.0.1:{proxy.Port}"));
        await connection.Stream.WriteAsync("one\ntwo\n"u8.ToArray());
        await connection.ShutdownSendAsync();
        var received = new MemoryStream();
        await connection.Stream.CopyToAsync(received).WaitAsync(Timeout);

        // The echo ends only after the target read our FIN: it crossed the proxy, and the reply still came back.
        Assert.Equal("one\ntwo\n", Encoding.ASCII.GetString(received.ToArray()));
    }

    [Fact]
    public async Task ConnectAsync_ThroughDanteSocks4aToAnAddress_Connects()
    {
        using var proxy = await ProxyPeer.DanteAsync();
        await using var target = new ProxyTarget();

        await using var connection = await SocketClient.ConnectAsync(EndpointUrl.Parse($"tcp://127.0.0.1:{target.Port}"), Through($"socks4a://127.0.0.1:{proxy.Port}"));

        Assert.Equal("ping\n", await RoundTripAsync(connection, "ping\n"));
    }

    [Fact]
    public async Task ConnectAsync_ThroughDanteSocks4aToAName_Reply91IsProxyTarget()
    {
        // Dante 1.4 speaks SOCKS4 and not 4a's names: it rejects them with 91, as curl --proxy socks4a:// also reports.
        using var proxy = await ProxyPeer.DanteAsync();
        await using var target = new ProxyTarget();

        var ex = await Assert.ThrowsAsync<ConnectException>(() =>
            SocketClient.ConnectAsync(EndpointUrl.Parse($"tcp://localhost:{target.Port}"), Through($"socks4a://127.0.0.1:{proxy.Port}")));

        Assert.Equal(ConnectFailure.ProxyTarget, ex.Failure);
        Assert.Equal("SOCKS4_REJECTED", ex.ErrorName);
    }

    [Fact]
    public async Task ConnectAsync_ThroughTinyproxy_TargetThatSpeaksFirst_LosesNoByte()
    {
        await using var target = new ProxyTarget(greeting: "220 ready\r\n");
        using var proxy = await ProxyPeer.TinyproxyAsync(target.Port);

        await using var connection = await SocketClient.ConnectAsync(EndpointUrl.Parse($"tcp://localhost:{target.Port}"), Through($"http://127.0.0.1:{proxy.Port}"));

        // The greeting may come in the same segment as the proxy's 200: the handshake must leave it for the stream.
        var greeting = new byte[11];
        await connection.Stream.ReadExactlyAsync(greeting).AsTask().WaitAsync(Timeout);
        Assert.Equal("220 ready\r\n", Encoding.ASCII.GetString(greeting));
        Assert.Equal("ping\n", await RoundTripAsync(connection, "ping\n"));
    }

    [Fact]
    public async Task ConnectAsync_TinyproxyPortNotAllowed_Is403ProxyTarget()
    {
        await using var target = new ProxyTarget();
        using var proxy = await ProxyPeer.TinyproxyAsync(target.Port + 1 > 65535 ? 1 : target.Port + 1);

        var ex = await Assert.ThrowsAsync<ConnectException>(() =>
            SocketClient.ConnectAsync(EndpointUrl.Parse($"tcp://127.0.0.1:{target.Port}"), Through($"http://127.0.0.1:{proxy.Port}")));

        Assert.Equal(ConnectFailure.ProxyTarget, ex.Failure);
        Assert.Equal(403, ex.ErrorNumber);
    }

    [Fact]
    public async Task ConnectAsync_TinyproxyTargetRefused_IsProxyTarget()
    {
        var closed = LoopbackPorts.Unused();
        using var proxy = await ProxyPeer.TinyproxyAsync(closed);

        var ex = await Assert.ThrowsAsync<ConnectException>(() =>
            SocketClient.ConnectAsync(EndpointUrl.Parse($"tcp://127.0.0.1:{closed}"), Through($"http://127.0.0.1:{proxy.Port}")));

        Assert.Equal(ConnectFailure.ProxyTarget, ex.Failure);
        Assert.Equal($"the HTTP proxy 127.0.0.1:{proxy.Port} could not connect to 127.0.0.1:{closed} (500 Unable to connect)", ex.Message);
    }

    [Fact]
    public async Task ConnectAsync_TlsThroughMicrosocks_VerifiesTheTargetsCertificate()
    {
        using var proxy = await ProxyPeer.MicrosocksAsync();
        using var certificate = TestCertificates.Create();
        await using var target = new ProxyTarget(certificate: certificate);
        var url = EndpointUrl.Parse($"tls://localhost:{target.Port}");

        // The target's own certificate, checked end to end through the tunnel: untrusted by default...
        var ex = await Assert.ThrowsAsync<ConnectException>(() => SocketClient.ConnectAsync(url, Through($"socks5://127.0.0.1:{proxy.Port}")));
        Assert.Equal(ConnectFailure.TlsUntrusted, ex.Failure);

        // ...and accepted by its fingerprint.
        var fingerprint = Convert.ToHexString(System.Security.Cryptography.SHA256.HashData(certificate.RawData));
        await using var connection = await SocketClient.ConnectAsync(url, Through($"socks5://127.0.0.1:{proxy.Port}") with { CertificateFingerprint = fingerprint });
        Assert.Equal("ping\n", await RoundTripAsync(connection, "ping\n"));
    }

    [Fact]
    public async Task ConnectAsync_UnixTargetWithAProxy_IsArgumentException()
    {
        await Assert.ThrowsAsync<ArgumentException>(() => SocketClient.ConnectAsync(EndpointUrl.Parse("unix:///tmp/x.sock"), Through("socks5://127.0.0.1:1")));
        await Assert.ThrowsAsync<ArgumentException>(() => SocketClient.ConnectAsync(EndpointUrl.Parse("udp://127.0.0.1:53"), Through("socks5://127.0.0.1:1")));
    }

    [Fact]
    public async Task ConnectAsync_ProxyThatSaysNothing_TimesOutAsProxyProtocolAtTheGreeting()
    {
        // An HTTP proxy given a SOCKS5 greeting waits, silent, for the rest of a request line.
        await using var target = new ProxyTarget();
        using var proxy = await ProxyPeer.TinyproxyAsync(target.Port);

        var ex = await Assert.ThrowsAsync<ConnectException>(() =>
            SocketClient.ConnectAsync(EndpointUrl.Parse($"tcp://127.0.0.1:{target.Port}"), Through($"socks5://127.0.0.1:{proxy.Port}") with { Timeout = TimeSpan.FromSeconds(3) }));

        Assert.Equal(ConnectFailure.ProxyProtocol, ex.Failure);
        Assert.Contains("said nothing for 3 s after the SOCKS5 greeting", ex.Message, StringComparison.Ordinal);
    }
}
