using System.Net;
using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;
using SockCat.Server.Tls;
using SockCat.Tls;

namespace SockCat.UnitTests.Server.Tls;

public sealed class ServerCertificateLoaderTests : IDisposable
{
    private readonly DirectoryInfo _dir = Directory.CreateTempSubdirectory("sockcat-tls-");

    public void Dispose() => _dir.Delete(recursive: true);

    [Fact]
    public void CreateSelfSigned_Now_HasLoopbackNamesServerAuthAndOneYear()
    {
        var now = DateTimeOffset.UtcNow;
        using var certificate = ServerCertificateLoader.CreateSelfSigned(now);
        var cert = certificate.Certificate;

        Assert.True(certificate.IsSelfSigned);
        Assert.True(cert.HasPrivateKey);
        Assert.Empty(certificate.Warnings);
        Assert.Empty(certificate.Chain);
        Assert.Equal("localhost", cert.GetNameInfo(X509NameType.DnsName, false));
        var san = cert.Extensions.OfType<X509SubjectAlternativeNameExtension>().Single();
        Assert.Equal(["localhost"], san.EnumerateDnsNames());
        Assert.Equal([IPAddress.Loopback, IPAddress.IPv6Loopback], san.EnumerateIPAddresses());
        var eku = cert.Extensions.OfType<X509EnhancedKeyUsageExtension>().Single();
        Assert.Contains(eku.EnhancedKeyUsages.Cast<Oid>(), o => o.Value == "1.3.6.1.5.5.7.3.1");
        Assert.False(cert.Extensions.OfType<X509BasicConstraintsExtension>().Single().CertificateAuthority);
        Assert.Equal(now.AddDays(-1).UtcDateTime, cert.NotBefore.ToUniversalTime(), TimeSpan.FromSeconds(1));
        Assert.Equal(now.AddDays(364).UtcDateTime, cert.NotAfter.ToUniversalTime(), TimeSpan.FromSeconds(1));
        Assert.NotNull(cert.GetECDsaPrivateKey());
    }

    [Fact]
    public void Load_NothingGiven_GeneratesSelfSigned()
    {
        using var certificate = ServerCertificateLoader.Load(null, null);

        Assert.True(certificate.IsSelfSigned);
        Assert.True(certificate.Certificate.HasPrivateKey);
    }

    [Fact]
    public void Load_SeparateCertAndKeyFiles_LoadsWithKey()
    {
        using var key = ECDsa.Create(ECCurve.NamedCurves.nistP256);
        using var made = MakeCertificate(key, DateTimeOffset.UtcNow.AddDays(-1), DateTimeOffset.UtcNow.AddDays(30));
        var certPath = Write("cert.pem", made.ExportCertificatePem());
        var keyPath = Write("key.pem", key.ExportPkcs8PrivateKeyPem());

        using var certificate = ServerCertificateLoader.Load(certPath, keyPath);

        Assert.False(certificate.IsSelfSigned);
        Assert.True(certificate.Certificate.HasPrivateKey);
        Assert.Equal(made.RawData, certificate.Certificate.RawData);
        Assert.Equal(CertificateFingerprint.Sha256(made), certificate.Fingerprint);
        Assert.Empty(certificate.Warnings);
        Assert.Empty(certificate.Chain);
    }

    [Fact]
    public void Load_RsaKeyInTraditionalForm_Loads()
    {
        using var key = RSA.Create(2048);
        var request = new CertificateRequest("CN=rsa.test", key, HashAlgorithmName.SHA256, RSASignaturePadding.Pkcs1);
        using var made = request.CreateSelfSigned(DateTimeOffset.UtcNow.AddDays(-1), DateTimeOffset.UtcNow.AddDays(30));
        var certPath = Write("cert.pem", made.ExportCertificatePem());
        var keyPath = Write("key.pem", key.ExportRSAPrivateKeyPem()); // BEGIN RSA PRIVATE KEY, as older openssl writes

        using var certificate = ServerCertificateLoader.Load(certPath, keyPath);

        Assert.NotNull(certificate.Certificate.GetRSAPrivateKey());
    }

    [Fact]
    public void Load_OneFileWithCertificateKeyAndChain_LoadsLeafAndChain()
    {
        using var caKey = ECDsa.Create(ECCurve.NamedCurves.nistP256);
        var caRequest = new CertificateRequest("CN=Test CA", caKey, HashAlgorithmName.SHA256);
        caRequest.CertificateExtensions.Add(new X509BasicConstraintsExtension(true, false, 0, true));
        using var ca = caRequest.CreateSelfSigned(DateTimeOffset.UtcNow.AddDays(-2), DateTimeOffset.UtcNow.AddDays(60));
        using var key = ECDsa.Create(ECCurve.NamedCurves.nistP256);
        var leafRequest = new CertificateRequest("CN=leaf.test", key, HashAlgorithmName.SHA256);
        using var leaf = leafRequest.Create(ca, DateTimeOffset.UtcNow.AddDays(-1), DateTimeOffset.UtcNow.AddDays(30), [1, 2, 3, 4]);
        var path = Write("both.pem", leaf.ExportCertificatePem() + "\n" + key.ExportPkcs8PrivateKeyPem() + "\n" + ca.ExportCertificatePem());

        using var certificate = ServerCertificateLoader.Load(path, null);

        Assert.Equal(leaf.RawData, certificate.Certificate.RawData);
        Assert.True(certificate.Certificate.HasPrivateKey);
        Assert.Equal(ca.RawData, Assert.Single(certificate.Chain).RawData);
    }

    [Fact]
    public void Load_MissingCertificateFile_SaysWhatToDo()
    {
        var path = Path.Combine(_dir.FullName, "x.pem");

        var ex = Assert.Throws<ServerCertificateException>(() => ServerCertificateLoader.Load(path, null));

        Assert.Equal($"certificate file {path} not found; give a PEM certificate file that exists", ex.Message);
    }

    [Fact]
    public void Load_CertificatePathIsDirectory_SaysWhatToDo()
    {
        var ex = Assert.Throws<ServerCertificateException>(() => ServerCertificateLoader.Load(_dir.FullName, null));

        Assert.Equal($"certificate path {_dir.FullName} is a directory; give a PEM certificate file", ex.Message);
    }

    [Fact]
    public void Load_MissingKeyFile_SaysWhatToDo()
    {
        using var key = ECDsa.Create(ECCurve.NamedCurves.nistP256);
        using var made = MakeCertificate(key, DateTimeOffset.UtcNow.AddDays(-1), DateTimeOffset.UtcNow.AddDays(30));
        var certPath = Write("cert.pem", made.ExportCertificatePem());
        var keyPath = Path.Combine(_dir.FullName, "nokey.pem");

        var ex = Assert.Throws<ServerCertificateException>(() => ServerCertificateLoader.Load(certPath, keyPath));

        Assert.Equal($"key file {keyPath} not found; give a PEM key file that exists", ex.Message);
    }

    [Fact]
    public void Load_KeyWithoutCertificate_SaysWhatToDo()
    {
        var ex = Assert.Throws<ServerCertificateException>(() => ServerCertificateLoader.Load(null, "/tmp/key.pem"));

        Assert.Equal("key file /tmp/key.pem was given without a certificate; give the certificate too, or neither for a self-signed one", ex.Message);
        Assert.Equal((ServerCertificateProblem.KeyWithoutCertificate, ServerCertificateInput.Key, "/tmp/key.pem"), (ex.Problem, ex.Input, ex.Path));
    }

    [Theory]
    [InlineData("hello, not a certificate\n", "is not PEM (no '-----BEGIN CERTIFICATE-----' line)")]
    [InlineData("\u0030\u0082\u0001\u000a binary", "is not PEM")]
    [InlineData("-----BEGIN PUBLIC KEY-----\nAAAA\n-----END PUBLIC KEY-----\n", "holds no certificate, only a PUBLIC KEY block")]
    public void Load_CertificateFileNotPem_SaysWhatToDo(string content, string problem)
    {
        var path = Write("bad.pem", content);

        var ex = Assert.Throws<ServerCertificateException>(() => ServerCertificateLoader.Load(path, null));

        Assert.StartsWith($"certificate file {path} ", ex.Message);
        Assert.Contains(problem, ex.Message);
        Assert.Contains("; give ", ex.Message);
        Assert.Equal(ServerCertificateInput.Certificate, ex.Input);
    }

    [Fact]
    public void Load_KeyFileNotPem_SaysWhatToDo()
    {
        using var key = ECDsa.Create(ECCurve.NamedCurves.nistP256);
        using var made = MakeCertificate(key, DateTimeOffset.UtcNow.AddDays(-1), DateTimeOffset.UtcNow.AddDays(30));
        var certPath = Write("cert.pem", made.ExportCertificatePem());
        var keyPath = Write("key.der", Convert.ToBase64String(key.ExportPkcs8PrivateKey()));

        var ex = Assert.Throws<ServerCertificateException>(() => ServerCertificateLoader.Load(certPath, keyPath));

        Assert.StartsWith($"key file {keyPath} is not PEM (no '-----BEGIN PRIVATE KEY-----' line); give the certificate's PEM private key", ex.Message);
    }

    [Fact]
    public void Load_CertificateWithoutKeyAndNoKeyFile_SaysWhatToDo()
    {
        using var key = ECDsa.Create(ECCurve.NamedCurves.nistP256);
        using var made = MakeCertificate(key, DateTimeOffset.UtcNow.AddDays(-1), DateTimeOffset.UtcNow.AddDays(30));
        var certPath = Write("cert.pem", made.ExportCertificatePem());

        var ex = Assert.Throws<ServerCertificateException>(() => ServerCertificateLoader.Load(certPath, null));

        Assert.Equal($"certificate file {certPath} has no private key; give its key file too, or put the key's PEM block in the same file", ex.Message);
    }

    [Fact]
    public void Load_EncryptedKey_SaysHowToDecrypt()
    {
        using var key = ECDsa.Create(ECCurve.NamedCurves.nistP256);
        using var made = MakeCertificate(key, DateTimeOffset.UtcNow.AddDays(-1), DateTimeOffset.UtcNow.AddDays(30));
        var certPath = Write("cert.pem", made.ExportCertificatePem());
        var keyPath = Write("key.pem", key.ExportEncryptedPkcs8PrivateKeyPem("secret", new PbeParameters(PbeEncryptionAlgorithm.Aes128Cbc, HashAlgorithmName.SHA256, 1000)));

        var ex = Assert.Throws<ServerCertificateException>(() => ServerCertificateLoader.Load(certPath, keyPath));

        Assert.Equal($"key file {keyPath} is encrypted with a passphrase; decrypt it with: openssl pkey -in {keyPath} -out key.pem, and give that as the key", ex.Message);
    }

    [Fact]
    public void Load_KeyOfAnotherCertificate_SaysItDoesNotMatch()
    {
        using var key = ECDsa.Create(ECCurve.NamedCurves.nistP256);
        using var otherKey = ECDsa.Create(ECCurve.NamedCurves.nistP256);
        using var made = MakeCertificate(key, DateTimeOffset.UtcNow.AddDays(-1), DateTimeOffset.UtcNow.AddDays(30));
        var certPath = Write("cert.pem", made.ExportCertificatePem());
        var keyPath = Write("key.pem", otherKey.ExportPkcs8PrivateKeyPem());

        var ex = Assert.Throws<ServerCertificateException>(() => ServerCertificateLoader.Load(certPath, keyPath));

        Assert.Equal($"key file {keyPath} does not match certificate {certPath}; give the private key that belongs to this certificate", ex.Message);
    }

    [Fact]
    public void Load_AnyFailure_NamesNoCommandLineOption()
    {
        var missing = Path.Combine(_dir.FullName, "missing.pem");
        var notPem = Write("bad.pem", "hello\n");
        foreach (var (certificate, key) in new (string?, string?)[] { (null, missing), (missing, null), (_dir.FullName, null), (notPem, null), (notPem, notPem) })
        {
            var ex = Assert.Throws<ServerCertificateException>(() => ServerCertificateLoader.Load(certificate, key));
            Assert.DoesNotMatch("(?<!-)--[a-z]", ex.Message);
            Assert.StartsWith(ex.What + "; ", ex.Message);
        }
    }

    [Fact]
    public void Load_ExpiredCertificate_LoadsWithWarning()
    {
        using var key = ECDsa.Create(ECCurve.NamedCurves.nistP256);
        var notAfter = new DateTimeOffset(2024, 3, 1, 12, 0, 0, TimeSpan.Zero);
        using var made = MakeCertificate(key, notAfter.AddDays(-90), notAfter);
        var certPath = Write("cert.pem", made.ExportCertificatePem() + "\n" + key.ExportPkcs8PrivateKeyPem());

        using var certificate = ServerCertificateLoader.Load(certPath, null);

        Assert.True(certificate.Certificate.HasPrivateKey);
        var warning = Assert.Single(certificate.Warnings);
        Assert.Equal($"certificate {certPath} expired on 2024-03-01 12:00 UTC; clients that verify certificates will refuse it: renew it, or serve a self-signed one instead", warning);
    }

    [Fact]
    public void LoadPem_NotYetValid_LoadsWithWarning()
    {
        using var key = ECDsa.Create(ECCurve.NamedCurves.nistP256);
        var now = DateTimeOffset.UtcNow;
        using var made = MakeCertificate(key, now.AddDays(2), now.AddDays(30));
        var certPath = Write("cert.pem", made.ExportCertificatePem() + "\n" + key.ExportPkcs8PrivateKeyPem());

        using var certificate = ServerCertificateLoader.LoadPem(certPath, null, now);

        Assert.Contains("is not valid until", Assert.Single(certificate.Warnings));
    }

    [Fact]
    public void CreateOptions_Certificate_AllowsOnlyTls12And13()
    {
        using var certificate = ServerCertificateLoader.CreateSelfSigned();

        var options = TlsServer.CreateOptions(certificate);

        Assert.Equal(System.Security.Authentication.SslProtocols.Tls12 | System.Security.Authentication.SslProtocols.Tls13, options.EnabledSslProtocols);
        Assert.Same(certificate.Context, options.ServerCertificateContext);
        Assert.False(options.ClientCertificateRequired);
        Assert.False(options.AllowRenegotiation);
        Assert.Equal(X509RevocationMode.NoCheck, options.CertificateRevocationCheckMode);
    }

    [Fact]
    public void CreateKestrelOptions_Certificate_CarriesProtocolsAndTimeout()
    {
        using var certificate = ServerCertificateLoader.CreateSelfSigned();

        var options = TlsServer.CreateKestrelOptions(certificate, TimeSpan.FromSeconds(3));

        Assert.Equal(TlsServer.Protocols, options.SslProtocols);
        Assert.Same(certificate.Certificate, options.ServerCertificate);
        Assert.Equal(TimeSpan.FromSeconds(3), options.HandshakeTimeout);
        Assert.Equal(TimeSpan.FromSeconds(10), TlsServer.DefaultHandshakeTimeout);
    }

    private static X509Certificate2 MakeCertificate(ECDsa key, DateTimeOffset notBefore, DateTimeOffset notAfter)
    {
        var request = new CertificateRequest("CN=test.local", key, HashAlgorithmName.SHA256);
        return request.CreateSelfSigned(notBefore, notAfter);
    }

    private string Write(string name, string content)
    {
        var path = Path.Combine(_dir.FullName, name);
        File.WriteAllText(path, content);
        return path;
    }
}
