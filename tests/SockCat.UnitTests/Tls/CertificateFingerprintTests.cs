using System.Security.Cryptography;
using SockCat.Server.Tls;
using SockCat.Tls;

namespace SockCat.UnitTests.Tls;

/// <summary>The one fingerprint parser both sides use: what the server prints, the client must take back.</summary>
public sealed class CertificateFingerprintTests
{
    private const string Hex = "3A1F00FF112233445566778899AABBCCDDEEFF00112233445566778899AABBCC";

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
    [InlineData(Hex)]
    [InlineData("3a1f00ff112233445566778899aabbccddeeff00112233445566778899aabbcc")]
    [InlineData("3A:1F:00:FF:11:22:33:44:55:66:77:88:99:AA:BB:CC:DD:EE:FF:00:11:22:33:44:55:66:77:88:99:AA:BB:CC")]
    [InlineData("3a 1f 00 ff 11 22 33 44 55 66 77 88 99 aa bb cc dd ee ff 00 11 22 33 44 55 66 77 88 99 aa bb cc")]
    [InlineData("3A-1F-00-FF-11-22-33-44-55-66-77-88-99-AA-BB-CC-DD-EE-FF-00-11-22-33-44-55-66-77-88-99-AA-BB-CC")]
    [InlineData("\t3A1F00FF112233445566778899AABBCCDDEEFF00112233445566778899AABBCC\r\n")]
    public void TryParse_SixtyFourHexDigitsWithAnySeparator_GivesTheHash(string text)
    {
        Assert.True(CertificateFingerprint.TryParse(text, out var hash));
        Assert.Equal(Convert.FromHexString(Hex), hash);
    }

    [Theory]
    [InlineData(null)]
    [InlineData("")]
    [InlineData("AB:CD")]
    [InlineData("zz00000000000000000000000000000000000000000000000000000000000000")]
    [InlineData("000000000000000000000000000000000000000000000000000000000000000000")]
    [InlineData("sha1:00:00")]
    [InlineData(Hex + "00")]
    [InlineData("3A1F00FF1122334455667788_9AABBCCDDEEFF00112233445566778899AABBCC")]
    public void TryParse_NotAFingerprint_IsFalseWithAnEmptyHash(string? text)
    {
        Assert.False(CertificateFingerprint.TryParse(text, out var hash));
        Assert.Empty(hash);
    }

    [Theory]
    [InlineData("")]
    [InlineData("3A1F")]
    [InlineData("ZZ1F00FF112233445566778899AABBCCDDEEFF00112233445566778899AABBCC")]
    public void Parse_NotAFingerprint_ThrowsNamingTheFormAndTheParameter(string text)
    {
        var ex = Assert.Throws<ArgumentException>(() => CertificateFingerprint.Parse(text, "options"));

        Assert.Contains("64 hex digits", ex.Message);
        Assert.Equal("options", ex.ParamName);
        Assert.DoesNotContain("--", ex.Message);
    }

    [Fact]
    public void Format_KnownBytes_GivesKnownText()
    {
        var hash = Enumerable.Range(0, 32).Select(i => (byte)(i * 8 + 7)).ToArray();

        Assert.Equal(
            "07:0F:17:1F:27:2F:37:3F:47:4F:57:5F:67:6F:77:7F:87:8F:97:9F:A7:AF:B7:BF:C7:CF:D7:DF:E7:EF:F7:FF",
            CertificateFingerprint.Format(hash));
    }

    [Fact]
    public void Format_ShortOrEmptyHash_IsUpperCaseHexPairsJoinedByColons()
    {
        Assert.Equal("00:0A:FF", CertificateFingerprint.Format([0x00, 0x0a, 0xff]));
        Assert.Equal("", CertificateFingerprint.Format([]));
    }

    [Fact]
    public void Sha256_NullCertificate_Throws()
    {
        Assert.Throws<ArgumentNullException>(() => CertificateFingerprint.Sha256(null!));
    }
}
