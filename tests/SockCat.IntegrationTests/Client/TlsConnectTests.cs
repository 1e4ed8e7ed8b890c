using SockCat.Testing;
using System.Net;
using System.Net.Sockets;
using System.Security.Authentication;
using System.Security.Cryptography;
using SockCat.Client;
using SockCat.Endpoints;

namespace SockCat.IntegrationTests.Client;

public sealed class TlsConnectTests
{
    [Fact]
    public async Task ConnectAsync_SelfSignedServerByDefault_IsRejectedAsUntrustedWithItsFingerprint()
    {
        using var cts = new CancellationTokenSource(LoopbackPeers.TestTimeout);
        using var certificate = TestCertificates.Create();
        var (listener, accepted) = await LoopbackPeers.StartTlsServerAsync(certificate, cts.Token);
        using var _ = listener.Server;

        var ex = await Assert.ThrowsAsync<ConnectException>(() => SocketClient.ConnectAsync(Url(listener), cancellationToken: cts.Token));

        Assert.Equal(ConnectFailure.TlsUntrusted, ex.Failure);
        Assert.Equal("TLS_UNTRUSTED", ex.ErrorName);
        Assert.Contains("is not trusted: it is self-signed or signed by an unknown authority", ex.Message);
        Assert.Contains(Fingerprint(certificate), ex.Message);
        await ObserveAsync(accepted);
    }

    [Fact]
    public async Task ConnectAsync_Insecure_AcceptsAndHalfClosesWithCloseNotify()
    {
        using var cts = new CancellationTokenSource(LoopbackPeers.TestTimeout);
        using var certificate = TestCertificates.Create();
        var (listener, accepted) = await LoopbackPeers.StartTlsServerAsync(certificate, cts.Token);
        using var _ = listener.Server;

        await using var connection = await SocketClient.ConnectAsync(Url(listener), new ConnectOptions { AllowUntrustedCertificate = true }, cts.Token);
        var serverSide = Task.Run(async () =>
        {
            await using var server = await accepted;
            var received = await LoopbackPeers.ReadToEndThenReplyAsync(server, "reply after close_notify"u8.ToArray(), cts.Token);
            await server.ShutdownAsync();
            return received;
        });
        await connection.Stream.WriteAsync("over tls"u8.ToArray(), cts.Token);
        await connection.ShutdownSendAsync(cts.Token);
        var reply = new MemoryStream();
        await connection.Stream.CopyToAsync(reply, cts.Token);

        Assert.Equal("over tls"u8.ToArray(), await serverSide);
        Assert.Equal("reply after close_notify"u8.ToArray(), reply.ToArray());
        Assert.Equal(certificate.Thumbprint, connection.RemoteCertificate!.Thumbprint);
        Assert.True(connection.TlsProtocol is SslProtocols.Tls12 or SslProtocols.Tls13);
    }

    [Theory]
    [InlineData(true, true)]
    [InlineData(false, false)]
    public async Task ConnectAsync_MatchingFingerprint_IsAcceptedInAnySpelling(bool colons, bool upper)
    {
        using var cts = new CancellationTokenSource(LoopbackPeers.TestTimeout);
        using var certificate = TestCertificates.Create();
        var (listener, accepted) = await LoopbackPeers.StartTlsServerAsync(certificate, cts.Token);
        using var _ = listener.Server;
        var fingerprint = Fingerprint(certificate);
        fingerprint = colons ? fingerprint : fingerprint.Replace(":", "");
        fingerprint = upper ? fingerprint : fingerprint.ToLowerInvariant();

        await using var connection = await SocketClient.ConnectAsync(Url(listener), new ConnectOptions { CertificateFingerprint = fingerprint }, cts.Token);
        await using var server = await accepted;

        Assert.Equal(certificate.Thumbprint, connection.RemoteCertificate!.Thumbprint);
    }

    [Fact]
    public async Task ConnectAsync_WrongFingerprint_IsRejectedNamingBoth()
    {
        using var cts = new CancellationTokenSource(LoopbackPeers.TestTimeout);
        using var certificate = TestCertificates.Create();
        using var other = TestCertificates.Create();
        var (listener, accepted) = await LoopbackPeers.StartTlsServerAsync(certificate, cts.Token);
        using var _ = listener.Server;

        var ex = await Assert.ThrowsAsync<ConnectException>(() => SocketClient.ConnectAsync(
            Url(listener), new ConnectOptions { CertificateFingerprint = Fingerprint(other), AllowUntrustedCertificate = true }, cts.Token));

        Assert.Equal(ConnectFailure.TlsFingerprintMismatch, ex.Failure);
        Assert.Equal($"the certificate of 127.0.0.1:{Port(listener)} has SHA-256 fingerprint {Fingerprint(certificate)}, not the {Fingerprint(other)} asked for", ex.Message);
        await ObserveAsync(accepted);
    }

    [Fact]
    public async Task ConnectAsync_PlainTcpServerThatCloses_IsAHandshakeFailure()
    {
        using var cts = new CancellationTokenSource(LoopbackPeers.TestTimeout);
        using var listener = new TcpListener(IPAddress.Loopback, 0);
        listener.Start();
        var server = Task.Run(async () =>
        {
            using var client = await listener.AcceptTcpClientAsync(cts.Token);
            await client.GetStream().WriteAsync("220 not tls here\r\n"u8.ToArray(), cts.Token);
        });

        var ex = await Assert.ThrowsAsync<ConnectException>(() => SocketClient.ConnectAsync(Url(listener), new ConnectOptions { AllowUntrustedCertificate = true }, cts.Token));

        Assert.Equal(ConnectFailure.TlsHandshake, ex.Failure);
        Assert.StartsWith($"the TLS handshake with 127.0.0.1:{Port(listener)} failed: ", ex.Message);
        await server;
    }

    [Fact]
    public async Task ConnectAsync_ServerSilentDuringHandshake_TimesOutNamingTheHandshake()
    {
        using var listener = new TcpListener(IPAddress.Loopback, 0);
        listener.Start();
        var accept = listener.AcceptSocketAsync();

        var ex = await Assert.ThrowsAsync<ConnectException>(() => SocketClient.ConnectAsync(
            Url(listener), new ConnectOptions { Timeout = TimeSpan.FromMilliseconds(300) }));

        Assert.Equal(ConnectFailure.TimedOut, ex.Failure);
        Assert.Equal($"the TLS handshake with 127.0.0.1:{Port(listener)} timed out after 0.3 s (ETIMEDOUT)", ex.Message);
        using var silent = await accept;
    }

    // The server's side of a rejected handshake may end either way (TLS 1.3 servers finish before the client checks); only the client is under test.
    private static async Task ObserveAsync(Task task)
    {
        try
        {
            (await (Task<System.Net.Security.SslStream>)task).Dispose();
        }
        catch (Exception ex) when (ex is IOException or AuthenticationException or OperationCanceledException)
        {
        }
    }

    private static int Port(TcpListener listener) => ((IPEndPoint)listener.LocalEndpoint).Port;

    private static EndpointUrl Url(TcpListener listener) => EndpointUrl.Parse($"tls://127.0.0.1:{Port(listener)}");

    private static string Fingerprint(System.Security.Cryptography.X509Certificates.X509Certificate2 certificate) =>
        string.Join(':', SHA256.HashData(certificate.RawData).Select(b => b.ToString("X2")));
}
