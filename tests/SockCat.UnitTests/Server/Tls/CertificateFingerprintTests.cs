using System.Security.Cryptography;
using SockCat.Server.Tls;

namespace SockCat.UnitTests.Server.Tls;

public class CertificateFingerprintTests
{
    [Fact]
    public void Sha256_Certificate_IsColonSeparatedUpperHexOfDerHash()
    {
        using var certificate = ServerCertificateLoader.CreateSelfSigned();

        var fingerprint = CertificateFingerprint.Sha256(certificate.Certificate);

        Assert.Matches("^([0-9A-F]{2}:){31}[0-9A-F]{2}$", fingerprint);
        Assert.Equal(Convert.ToHexString(SHA256.HashData(certificate.Certificate.RawData)), fingerprint.Replace(":", ""));
        Assert.Equal(fingerprint, certificate.Fingerprint);
    }

    [Fact]
    public void Sha256_SameCertificateTwice_IsStable()
    {
        using var certificate = ServerCertificateLoader.CreateSelfSigned();
        using var other = ServerCertificateLoader.CreateSelfSigned();

        Assert.Equal(CertificateFingerprint.Sha256(certificate.Certificate), CertificateFingerprint.Sha256(certificate.Certificate));
        Assert.NotEqual(certificate.Fingerprint, other.Fingerprint);
    }

    [Fact]
    public void TryParse_PrintedFormAndVariants_GiveTheSameHashAndMatch()
    {
        using var certificate = ServerCertificateLoader.CreateSelfSigned();
        var printed = certificate.Fingerprint;

        foreach (var typed in new[] { printed, printed.ToLowerInvariant(), printed.Replace(":", ""), printed.Replace(":", "").ToLowerInvariant(), $"  {printed}\n" })
        {
            Assert.True(CertificateFingerprint.TryParse(typed, out var hash), typed);
            Assert.Equal(SHA256.HashData(certificate.Certificate.RawData), hash);
            Assert.True(CertificateFingerprint.Matches(certificate.Certificate, hash));
        }
    }

    [Fact]
    public void Matches_OtherCertificate_IsFalse()
    {
        using var certificate = ServerCertificateLoader.CreateSelfSigned();
        using var other = ServerCertificateLoader.CreateSelfSigned();
        Assert.True(CertificateFingerprint.TryParse(other.Fingerprint, out var hash));

        Assert.False(CertificateFingerprint.Matches(certificate.Certificate, hash));
        Assert.False(CertificateFingerprint.Matches(certificate.Certificate, hash.AsSpan(0, 31)));
    }

    [Theory]
    [InlineData(null)]
    [InlineData("")]
    [InlineData("AB:CD")]
    [InlineData("zz00000000000000000000000000000000000000000000000000000000000000")]
    [InlineData("000000000000000000000000000000000000000000000000000000000000000000")]
    [InlineData("sha1:00:00")]
    public void TryParse_NotAFingerprint_IsFalse(string? text)
    {
        Assert.False(CertificateFingerprint.TryParse(text, out _));
    }

    [Fact]
    public void Format_KnownBytes_GivesKnownText()
    {
        var hash = Enumerable.Range(0, 32).Select(i => (byte)(i * 8 + 7)).ToArray();

        Assert.Equal(
            "07:0F:17:1F:27:2F:37:3F:47:4F:57:5F:67:6F:77:7F:87:8F:97:9F:A7:AF:B7:BF:C7:CF:D7:DF:E7:EF:F7:FF",
            CertificateFingerprint.Format(hash));
    }
}
