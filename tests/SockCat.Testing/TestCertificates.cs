using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;

namespace SockCat.Testing;

/// <summary>A self-signed certificate for tls:// test listeners, made once per test run.</summary>
public static class TestCertificates
{
    private static readonly Lazy<X509Certificate2> Shared = new(Create);

    public static X509Certificate2 Localhost => Shared.Value;

    private static X509Certificate2 Create()
    {
        using var key = ECDsa.Create(ECCurve.NamedCurves.nistP256);
        var request = new CertificateRequest("CN=localhost", key, HashAlgorithmName.SHA256);
        var san = new SubjectAlternativeNameBuilder();
        san.AddDnsName("localhost");
        san.AddIpAddress(System.Net.IPAddress.Loopback);
        request.CertificateExtensions.Add(san.Build());
        using var certificate = request.CreateSelfSigned(DateTimeOffset.UtcNow.AddDays(-1), DateTimeOffset.UtcNow.AddDays(7));
        // An ephemeral key cannot be used by SslStream on Linux; round-trip through PKCS#12 to get a usable one.
        return X509CertificateLoader.LoadPkcs12(certificate.Export(X509ContentType.Pkcs12), null);
    }
}
