using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;
using SockCat.Server.Tls;

namespace SockCat.Cli.Tests;

/// <summary>
/// A certificate the library cannot use, as serve and listen say it: the library's words for what is wrong, the CLI's
/// for what to do, naming --cert and --key (the texts users saw when the library named the flags itself).
/// </summary>
public sealed class CertificateErrorsTests : IDisposable
{
    private readonly DirectoryInfo _dir = Directory.CreateTempSubdirectory("sockcat-tls-");

    public void Dispose() => _dir.Delete(recursive: true);

    [Fact]
    public void Load_MissingCertificateFile_SaysWhatToDo()
    {
        var path = Path.Combine(_dir.FullName, "x.pem");

        var ex = Assert.Throws<ServerCertificateException>(() => ServerCertificateLoader.Load(path, null));

        Assert.Equal($"certificate file {path} not found; pass --cert with a PEM certificate, or leave --cert out for a self-signed one", CertificateErrors.Describe(ex));
    }

    [Fact]
    public void Load_CertificatePathIsDirectory_SaysWhatToDo()
    {
        var ex = Assert.Throws<ServerCertificateException>(() => ServerCertificateLoader.Load(_dir.FullName, null));

        Assert.Equal($"certificate path {_dir.FullName} is a directory; pass --cert with a PEM certificate file, or leave --cert out for a self-signed one", CertificateErrors.Describe(ex));
    }

    [Fact]
    public void Load_MissingKeyFile_SaysWhatToDo()
    {
        using var key = ECDsa.Create(ECCurve.NamedCurves.nistP256);
        using var made = MakeCertificate(key, DateTimeOffset.UtcNow.AddDays(-1), DateTimeOffset.UtcNow.AddDays(30));
        var certPath = Write("cert.pem", made.ExportCertificatePem());
        var keyPath = Path.Combine(_dir.FullName, "nokey.pem");

        var ex = Assert.Throws<ServerCertificateException>(() => ServerCertificateLoader.Load(certPath, keyPath));

        Assert.Equal($"key file {keyPath} not found; pass --key with a PEM key, or leave --key out when the certificate file holds the key", CertificateErrors.Describe(ex));
    }

    [Fact]
    public void Load_KeyWithoutCertificate_SaysWhatToDo()
    {
        var ex = Assert.Throws<ServerCertificateException>(() => ServerCertificateLoader.Load(null, "/tmp/key.pem"));

        Assert.Contains("--key /tmp/key.pem was given without --cert", CertificateErrors.Describe(ex));
    }

    [Theory]
    [InlineData("hello, not a certificate\n", "is not PEM (no '-----BEGIN CERTIFICATE-----' line)")]
    [InlineData("\u0030\u0082\u0001\u000a binary", "is not PEM")]
    [InlineData("-----BEGIN PUBLIC KEY-----\nAAAA\n-----END PUBLIC KEY-----\n", "holds no certificate, only a PUBLIC KEY block")]
    public void Load_CertificateFileNotPem_SaysWhatToDo(string content, string problem)
    {
        var path = Write("bad.pem", content);

        var ex = Assert.Throws<ServerCertificateException>(() => ServerCertificateLoader.Load(path, null));

        Assert.StartsWith($"certificate file {path} ", CertificateErrors.Describe(ex));
        Assert.Contains(problem, CertificateErrors.Describe(ex));
        Assert.Contains("; pass ", CertificateErrors.Describe(ex));
    }

    [Fact]
    public void Load_KeyFileNotPem_SaysWhatToDo()
    {
        using var key = ECDsa.Create(ECCurve.NamedCurves.nistP256);
        using var made = MakeCertificate(key, DateTimeOffset.UtcNow.AddDays(-1), DateTimeOffset.UtcNow.AddDays(30));
        var certPath = Write("cert.pem", made.ExportCertificatePem());
        var keyPath = Write("key.der", Convert.ToBase64String(key.ExportPkcs8PrivateKey()));

        var ex = Assert.Throws<ServerCertificateException>(() => ServerCertificateLoader.Load(certPath, keyPath));

        Assert.StartsWith($"key file {keyPath} is not PEM (no '-----BEGIN PRIVATE KEY-----' line); pass the certificate's PEM private key with --key", CertificateErrors.Describe(ex));
    }

    [Fact]
    public void Load_CertificateWithoutKeyAndNoKeyFile_SaysWhatToDo()
    {
        using var key = ECDsa.Create(ECCurve.NamedCurves.nistP256);
        using var made = MakeCertificate(key, DateTimeOffset.UtcNow.AddDays(-1), DateTimeOffset.UtcNow.AddDays(30));
        var certPath = Write("cert.pem", made.ExportCertificatePem());

        var ex = Assert.Throws<ServerCertificateException>(() => ServerCertificateLoader.Load(certPath, null));

        Assert.Equal($"certificate file {certPath} has no private key; pass its key with --key, or put the key's PEM block in the same file", CertificateErrors.Describe(ex));
    }

    [Fact]
    public void Load_EncryptedKey_SaysHowToDecrypt()
    {
        using var key = ECDsa.Create(ECCurve.NamedCurves.nistP256);
        using var made = MakeCertificate(key, DateTimeOffset.UtcNow.AddDays(-1), DateTimeOffset.UtcNow.AddDays(30));
        var certPath = Write("cert.pem", made.ExportCertificatePem());
        var keyPath = Write("key.pem", key.ExportEncryptedPkcs8PrivateKeyPem("secret", new PbeParameters(PbeEncryptionAlgorithm.Aes128Cbc, HashAlgorithmName.SHA256, 1000)));

        var ex = Assert.Throws<ServerCertificateException>(() => ServerCertificateLoader.Load(certPath, keyPath));

        Assert.Equal($"key file {keyPath} is encrypted with a passphrase; decrypt it with: openssl pkey -in {keyPath} -out key.pem, and pass that with --key", CertificateErrors.Describe(ex));
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

        Assert.Equal($"key file {keyPath} does not match certificate {certPath}; pass the private key that belongs to this certificate with --key", CertificateErrors.Describe(ex));
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
