using SockCat.Testing;
using System.Net;
using System.Net.Sockets;
using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;
using System.Text.RegularExpressions;
using SockCat.Client;
using SockCat.Endpoints;

namespace SockCat.Cli.Tests;

/// <summary><c>serve echo</c> with --cert/--key and the self-signed certificate, udp:// endpoints, and --allow/--deny.</summary>
public sealed partial class ServeEchoWiringTests
{
    [Fact]
    public async Task ServeEchoTls_SelfSigned_PrintedFingerprintEchoesAndUnpinnedIsUntrusted()
    {
        await using var serve = Serve("tls://127.0.0.1:0");
        var port = await serve.WaitForPortAsync("tls");
        var fingerprint = FingerprintLine().Match(serve.Error.Text);
        Assert.True(fingerprint.Success, serve.Error.Text);
        Assert.Contains("self-signed for localhost, 127.0.0.1, ::1", fingerprint.Value);
        var url = EndpointUrl.Parse($"tls://127.0.0.1:{port}");

        await using (var pinned = await SocketClient.ConnectAsync(url, new ConnectOptions { CertificateFingerprint = fingerprint.Groups[1].Value }, serve.Timeout))
        {
            await AssertEchoesAsync(pinned.Stream, serve.Timeout);
        }

        var untrusted = await Assert.ThrowsAsync<ConnectException>(() => SocketClient.ConnectAsync(url, null, serve.Timeout));
        Assert.Equal(ConnectFailure.TlsUntrusted, untrusted.Failure);
        Assert.Equal(ExitCodes.Success, await serve.StopAsync());
    }

    [Fact]
    public async Task ServeEchoTls_CertAndKeyFiles_ServesThatCertificate()
    {
        using var certificate = TestCertificates.Create();
        var directory = Directory.CreateTempSubdirectory("sockcat-cert-");
        try
        {
            var certPath = Path.Combine(directory.FullName, "cert.pem");
            var keyPath = Path.Combine(directory.FullName, "key.pem");
            await File.WriteAllTextAsync(certPath, certificate.ExportCertificatePem());
            using (var key = certificate.GetECDsaPrivateKey()!)
            {
                await File.WriteAllTextAsync(keyPath, key.ExportPkcs8PrivateKeyPem());
            }

            var expected = string.Join(':', Convert.ToHexString(SHA256.HashData(certificate.RawData)).Chunk(2).Select(c => new string(c)));
            await using var serve = Serve("--cert", certPath, "--key", keyPath, "tls://127.0.0.1:0");
            var port = await serve.WaitForPortAsync("tls");
            var fingerprint = FingerprintLine().Match(serve.Error.Text);
            Assert.Equal(expected, fingerprint.Groups[1].Value);
            Assert.DoesNotContain("self-signed", serve.Error.Text);

            var url = EndpointUrl.Parse($"tls://127.0.0.1:{port}");
            await using (var client = await SocketClient.ConnectAsync(url, new ConnectOptions { CertificateFingerprint = expected }, serve.Timeout))
            {
                Assert.Equal(certificate.RawData, client.RemoteCertificate!.RawData);
                await AssertEchoesAsync(client.Stream, serve.Timeout);
            }

            Assert.Equal(ExitCodes.Success, await serve.StopAsync());
        }
        finally
        {
            directory.Delete(recursive: true);
        }
    }

    [Fact]
    public async Task ServeEchoTls_MissingCertFile_OneLineAndListenFailed()
    {
        var path = Path.Combine(Path.GetTempPath(), $"sockcat-missing-{Guid.NewGuid():N}.pem");

        var result = await CliRun.InvokeAsync("serve", "echo", "--quiet", "--cert", path, "tls://127.0.0.1:0");

        Assert.Equal(ExitCodes.ListenFailed, result.ExitCode);
        Assert.Matches($"^sockcat: [^\n]*{Regex.Escape(path)} not found; [^\n]+\n$", result.Error);
    }

    [Fact]
    public async Task ServeEcho_TcpEndpointOnly_MakesNoCertificate()
    {
        await using var serve = Serve("tcp://127.0.0.1:0");
        await serve.WaitForPortAsync("tcp");

        Assert.DoesNotContain("TLS certificate", serve.Error.Text);
        Assert.Equal(ExitCodes.Success, await serve.StopAsync());
    }

    [Fact]
    public async Task ServeEchoUdp_AlongsideTcp_EchoesDatagramsAndBytes()
    {
        await using var serve = Serve("tcp://127.0.0.1:0", "udp://127.0.0.1:0");
        var udpPort = await serve.WaitForPortAsync("udp");
        var tcpPort = await serve.WaitForPortAsync("tcp");

        using var udp = new UdpClient(new IPEndPoint(IPAddress.Loopback, 0));
        udp.Connect(IPAddress.Loopback, udpPort);
        var datagram = "datagram one"u8.ToArray();
        await udp.SendAsync(datagram, serve.Timeout);
        var reply = await udp.ReceiveAsync(serve.Timeout);
        Assert.Equal(datagram, reply.Buffer);

        using (var tcp = new TcpClient())
        {
            await tcp.ConnectAsync(IPAddress.Loopback, tcpPort, serve.Timeout);
            await AssertEchoesAsync(tcp.GetStream(), serve.Timeout);
        }

        Assert.Equal(ExitCodes.Success, await serve.StopAsync());
        Assert.Contains(", 1 datagram,", serve.Error.Text);
    }

    [Theory]
    [InlineData("--deny", "127.0.0.1")]
    [InlineData("--allow", "10.0.0.0/8")]
    [InlineData("--allow", "192.168.0.0/16,10.0.0.0/8")]
    public async Task ServeEcho_LoopbackNotAllowed_ClosedWithoutEcho(string option, string value)
    {
        await using var serve = Serve(option, value, "tcp://127.0.0.1:0");
        var port = await serve.WaitForPortAsync("tcp");

        using var client = new TcpClient();
        await client.ConnectAsync(IPAddress.Loopback, port, serve.Timeout);
        var stream = client.GetStream();
        var received = 0;
        try
        {
            await stream.WriteAsync("hello\n"u8.ToArray(), serve.Timeout);
            // A denied peer is closed before any byte is read: EOF, or a reset if the write raced the close; never an echo.
            received = await stream.ReadAsync(new byte[16], serve.Timeout);
        }
        catch (IOException e) when (e.InnerException is SocketException)
        {
        }

        Assert.Equal(0, received);
        Assert.Equal(ExitCodes.Success, await serve.StopAsync());
    }

    [Theory]
    [InlineData("--allow", "10.0.0.0/33")]
    [InlineData("--deny", "127.0.0.1,not-an-address")]
    public async Task ServeEcho_BadAccessEntry_OneLineUsageError(string option, string value)
    {
        var result = await CliRun.InvokeAsync("serve", "echo", option, value, "tcp://127.0.0.1:0");

        Assert.Equal(ExitCodes.Usage, result.ExitCode);
        Assert.Matches("^sockcat: [^\n]+\n$", result.Error);
    }

    private static async Task AssertEchoesAsync(Stream stream, CancellationToken cancellationToken)
    {
        var sent = "hello over the wire\n"u8.ToArray();
        await stream.WriteAsync(sent, cancellationToken);
        var echo = new byte[sent.Length];
        await stream.ReadExactlyAsync(echo, cancellationToken);
        Assert.Equal(sent, echo);
    }

    private static Running Serve(params string[] args) => new(["serve", "echo", "--drain", "1", .. args]);

    [GeneratedRegex(@"^sockcat: TLS certificate [^\n]*; SHA-256 ([0-9A-F]{2}(?::[0-9A-F]{2}){31})$", RegexOptions.Multiline)]
    private static partial Regex FingerprintLine();

    /// <summary>An in-process <c>sockcat serve</c>, stopped as Ctrl+C stops it, bounded by <see cref="CliRun.TestTimeout"/>.</summary>
    private sealed class Running : IAsyncDisposable
    {
        private readonly CancellationTokenSource _stop = new();
        private readonly CancellationTokenSource _timeout = new(CliRun.TestTimeout);
        private readonly Task<CliResult> _run;

        public Running(string[] args) => (_run, Error) = CliRun.Start(new MemoryStream(), _stop.Token, args);

        public SyncWriter Error { get; }

        public CancellationToken Timeout => _timeout.Token;

        public async Task<int> WaitForPortAsync(string scheme)
        {
            var prefix = $"sockcat: listening on {scheme}://127.0.0.1:";
            while (!_run.IsCompleted)
            {
                Timeout.ThrowIfCancellationRequested();
                var text = Error.Text;
                var at = text.IndexOf(prefix, StringComparison.Ordinal);
                if (at >= 0 && text.IndexOf('\n', at) is var end and > 0)
                {
                    return int.Parse(text[(at + prefix.Length)..end].Trim());
                }

                await Task.Delay(20, Timeout);
            }

            throw new InvalidOperationException($"serve exited with {(await _run).ExitCode} before listening on {scheme}; stderr: {Error.Text}");
        }

        public async Task<int> StopAsync()
        {
            await _stop.CancelAsync();
            return (await _run.WaitAsync(Timeout)).ExitCode;
        }

        public async ValueTask DisposeAsync()
        {
            await _stop.CancelAsync();
            try
            {
                await _run.WaitAsync(CliRun.TestTimeout);
            }
            catch (Exception) when (_run.IsCompleted || _timeout.IsCancellationRequested)
            {
            }

            _stop.Dispose();
            _timeout.Dispose();
        }
    }
}
