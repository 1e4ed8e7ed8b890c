using System.Net;
using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;

namespace SockCat.Testing;

/// <summary>Self-signed server certificates for localhost and 127.0.0.1, made in the test.</summary>
public static class TestCertificates
{
    private static readonly Lazy<X509Certificate2> Shared = new(() => Create());

    /// <summary>One certificate shared by a whole test run, for listeners that only need some certificate.</summary>
    public static X509Certificate2 Localhost => Shared.Value;

    /// <summary>A new certificate (a distinct key and fingerprint each call); the caller disposes it.</summary>
    public static X509Certificate2 Create(string subject = "CN=localhost")
    {
        using var key = ECDsa.Create(ECCurve.NamedCurves.nistP256);
        var request = new CertificateRequest(subject, key, HashAlgorithmName.SHA256);
        var san = new SubjectAlternativeNameBuilder();
        san.AddDnsName("localhost");
        san.AddIpAddress(IPAddress.Loopback);
        request.CertificateExtensions.Add(san.Build());
        request.CertificateExtensions.Add(new X509EnhancedKeyUsageExtension([new Oid("1.3.6.1.5.5.7.3.1")], critical: false));
        using var certificate = request.CreateSelfSigned(DateTimeOffset.UtcNow.AddMinutes(-5), DateTimeOffset.UtcNow.AddDays(1));
        // An ephemeral key cannot be used by SslStream on Linux; round-trip through PKCS#12 to get a usable one.
        return X509CertificateLoader.LoadPkcs12(certificate.Export(X509ContentType.Pkcs12), null);
    }
}
