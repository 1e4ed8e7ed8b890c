using System.Net;
using System.Net.Security;
using System.Net.Sockets;
using System.Security.Authentication;
using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;
using System.Text;
using Microsoft.Extensions.Time.Testing;
using SockCat.Server.Tls;
using SockCat.Tls;

namespace SockCat.IntegrationTests.Server.Tls;

public sealed class TlsHandshakeTests : IDisposable
{
    private static readonly TimeSpan TestTimeout = TimeSpan.FromSeconds(15);
    private readonly ServerCertificate _certificate = ServerCertificateLoader.CreateSelfSigned();
    private readonly TcpListener _listener = new(IPAddress.Loopback, 0);

    public TlsHandshakeTests() => _listener.Start();

    public void Dispose()
    {
        _listener.Stop();
        _listener.Dispose();
        _certificate.Dispose();
    }

    [Fact]
    public async Task Handshake_SelfSignedPinnedByFingerprint_NegotiatesTls13AndCarriesBytes()
    {
        using var cts = new CancellationTokenSource(TestTimeout);
        var serverTask = ServeOneEchoAsync(cts.Token);
        using var client = new TcpClient();
        await client.ConnectAsync((IPEndPoint)_listener.LocalEndpoint, cts.Token);
        Assert.True(CertificateFingerprint.TryParse(_certificate.Fingerprint.ToLowerInvariant(), out var pinned));
        string? seenFingerprint = null;
        await using var tls = new SslStream(client.GetStream(), false, (_, certificate, _, _) =>
        {
            seenFingerprint = CertificateFingerprint.Sha256(certificate!);
            return CertificateFingerprint.Matches(certificate!, pinned);
        });

        await tls.AuthenticateAsClientAsync(new SslClientAuthenticationOptions { TargetHost = "localhost" }, cts.Token);
        var sent = RandomNumberGenerator.GetBytes(100_000);
        await tls.WriteAsync(sent, cts.Token);
        var received = new byte[sent.Length];
        await tls.ReadExactlyAsync(received, cts.Token);

        Assert.Equal(SslProtocols.Tls13, tls.SslProtocol);
        Assert.Equal(_certificate.Fingerprint, seenFingerprint);
        Assert.Equal(sent, received);
        await tls.ShutdownAsync();
        client.Client.Shutdown(SocketShutdown.Send);
        Assert.Equal(SslProtocols.Tls13, await serverTask);
    }

    [Fact]
    public async Task Handshake_SelfSignedCertificate_ValidatesForLoopbackNamesWhenTrusted()
    {
        foreach (var name in new[] { "localhost", "127.0.0.1" })
        {
            using var cts = new CancellationTokenSource(TestTimeout);
            var serverTask = ServeOneEchoAsync(cts.Token);
            using var client = new TcpClient();
            await client.ConnectAsync((IPEndPoint)_listener.LocalEndpoint, cts.Token);
            SslPolicyErrors? errors = null;
            await using var tls = new SslStream(client.GetStream(), false, (_, _, _, e) => (errors = e) is not null);
            var trusted = new X509Certificate2Collection(X509CertificateLoader.LoadCertificate(_certificate.Certificate.RawData));

            await tls.AuthenticateAsClientAsync(new SslClientAuthenticationOptions
            {
                TargetHost = name,
                CertificateChainPolicy = new X509ChainPolicy { TrustMode = X509ChainTrustMode.CustomRootTrust, CustomTrustStore = { trusted[0] }, RevocationMode = X509RevocationMode.NoCheck },
            }, cts.Token);

            Assert.Equal(SslPolicyErrors.None, errors);
            client.Client.Shutdown(SocketShutdown.Send);
            await serverTask;
        }
    }

    [Fact]
    public async Task Handshake_Tls12OnlyClient_NegotiatesTls12()
    {
        using var cts = new CancellationTokenSource(TestTimeout);
        var serverTask = ServeOneEchoAsync(cts.Token);
        using var client = new TcpClient();
        await client.ConnectAsync((IPEndPoint)_listener.LocalEndpoint, cts.Token);
        await using var tls = new SslStream(client.GetStream(), false, (_, _, _, _) => true);

        await tls.AuthenticateAsClientAsync(new SslClientAuthenticationOptions { TargetHost = "localhost", EnabledSslProtocols = SslProtocols.Tls12 }, cts.Token);
        await tls.WriteAsync("ping\n"u8.ToArray(), cts.Token);
        var reply = new byte[5];
        await tls.ReadExactlyAsync(reply, cts.Token);

        Assert.Equal(SslProtocols.Tls12, tls.SslProtocol);
        Assert.Equal("ping\n", Encoding.ASCII.GetString(reply));
        client.Client.Shutdown(SocketShutdown.Send);
        Assert.Equal(SslProtocols.Tls12, await serverTask);
    }

    [Fact]
    public async Task Handshake_CertificateFromPemFiles_IsServed()
    {
        var dir = Directory.CreateTempSubdirectory("sockcat-tls-");
        try
        {
            using var key = RSA.Create(2048);
            var request = new CertificateRequest("CN=localhost", key, HashAlgorithmName.SHA256, RSASignaturePadding.Pkcs1);
            using var made = request.CreateSelfSigned(DateTimeOffset.UtcNow.AddDays(-1), DateTimeOffset.UtcNow.AddDays(10));
            var certPath = Path.Combine(dir.FullName, "cert.pem");
            var keyPath = Path.Combine(dir.FullName, "key.pem");
            await File.WriteAllTextAsync(certPath, made.ExportCertificatePem());
            await File.WriteAllTextAsync(keyPath, key.ExportPkcs8PrivateKeyPem());
            using var loaded = ServerCertificateLoader.Load(certPath, keyPath);
            using var cts = new CancellationTokenSource(TestTimeout);
            var serverTask = ServeOneEchoAsync(cts.Token, loaded);
            using var client = new TcpClient();
            await client.ConnectAsync((IPEndPoint)_listener.LocalEndpoint, cts.Token);
            byte[]? served = null;
            await using var tls = new SslStream(client.GetStream(), false, (_, certificate, _, _) => (served = certificate!.GetRawCertData()) is not null);

            await tls.AuthenticateAsClientAsync(new SslClientAuthenticationOptions { TargetHost = "localhost" }, cts.Token);

            Assert.Equal(made.RawData, served);
            Assert.Equal(SslProtocols.Tls13, tls.SslProtocol);
            client.Client.Shutdown(SocketShutdown.Send);
            await serverTask;
        }
        finally
        {
            dir.Delete(recursive: true);
        }
    }

    [Fact]
    public async Task Handshake_ClientConnectsAndSendsNothing_IsCutAfterTimeout()
    {
        using var cts = new CancellationTokenSource(TestTimeout);
        using var client = new TcpClient();
        await client.ConnectAsync((IPEndPoint)_listener.LocalEndpoint, cts.Token);
        using var accepted = await _listener.AcceptTcpClientAsync(cts.Token);
        var ssl = new SslStream(accepted.GetStream());
        // Longer than the test waits (15 s): were the real clock to time it, the test would fail.
        var timeout = TimeSpan.FromSeconds(60);
        var time = new FakeTimeProvider();

        var handshake = TlsServer.AuthenticateAsServerWithTimeoutAsync(ssl, TlsServer.CreateOptions(_certificate), timeout, time, cts.Token);
        // The clock is the test's: the silent client cannot end the handshake, so it ends when the test reaches the timeout.
        time.Advance(timeout - TimeSpan.FromTicks(1));
        Assert.False(handshake.IsCompleted);
        time.Advance(TimeSpan.FromTicks(1));
        await Assert.ThrowsAsync<TlsHandshakeTimeoutException>(() => handshake);

        // The server side closed its socket: the silent client now reads end of stream (or a reset).
        client.ReceiveTimeout = 5000;
        var buffer = new byte[4096];
        int read;
        do
        {
            try
            {
                read = await client.GetStream().ReadAsync(buffer, cts.Token);
            }
            catch (IOException)
            {
                read = 0;
            }
        }
        while (read > 0);
    }

    [Fact]
    public async Task Handshake_PlainTextClient_FailsWithAuthenticationError()
    {
        using var cts = new CancellationTokenSource(TestTimeout);
        using var client = new TcpClient();
        await client.ConnectAsync((IPEndPoint)_listener.LocalEndpoint, cts.Token);
        using var accepted = await _listener.AcceptTcpClientAsync(cts.Token);
        await using var ssl = new SslStream(accepted.GetStream());
        var handshake = TlsServer.AuthenticateAsServerWithTimeoutAsync(ssl, TlsServer.CreateOptions(_certificate), TimeSpan.FromSeconds(5), cts.Token);

        await client.GetStream().WriteAsync("GET / HTTP/1.0\r\n\r\n"u8.ToArray(), cts.Token);

        await Assert.ThrowsAsync<AuthenticationException>(() => handshake);
    }

    private async Task<SslProtocols> ServeOneEchoAsync(CancellationToken cancellationToken, ServerCertificate? certificate = null)
    {
        using var accepted = await _listener.AcceptTcpClientAsync(cancellationToken);
        await using var ssl = new SslStream(accepted.GetStream());
        await TlsServer.AuthenticateAsServerWithTimeoutAsync(ssl, TlsServer.CreateOptions(certificate ?? _certificate), TlsServer.DefaultHandshakeTimeout, cancellationToken);
        var buffer = new byte[16 * 1024];
        int read;
        while ((read = await ssl.ReadAsync(buffer, cancellationToken)) > 0)
        {
            await ssl.WriteAsync(buffer.AsMemory(0, read), cancellationToken);
        }

        return ssl.SslProtocol;
    }
}
