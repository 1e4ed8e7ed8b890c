using SockCat.Client;

namespace SockCat.UnitTests.Client;

public sealed class CertificateFingerprintTests
{
    private const string Hex = "3A1F00FF112233445566778899AABBCCDDEEFF00112233445566778899AABBCC";

    [Theory]
    [InlineData(Hex)]
    [InlineData("3a1f00ff112233445566778899aabbccddeeff00112233445566778899aabbcc")]
    [InlineData("3A:1F:00:FF:11:22:33:44:55:66:77:88:99:AA:BB:CC:DD:EE:FF:00:11:22:33:44:55:66:77:88:99:AA:BB:CC")]
    public void TryParse_SixtyFourHexDigitsColonsOptional_GivesTheHash(string text)
    {
        Assert.True(CertificateFingerprint.TryParse(text, out var hash));
        Assert.Equal(Convert.FromHexString(Hex), hash);
    }

    [Theory]
    [InlineData("")]
    [InlineData("3A1F")]
    [InlineData(Hex + "00")]
    [InlineData("ZZ1F00FF112233445566778899AABBCCDDEEFF00112233445566778899AABBCC")]
    public void TryParse_NotASha256_IsRejected(string text)
    {
        Assert.False(CertificateFingerprint.TryParse(text, out _));
        var ex = Assert.Throws<ArgumentException>(() => CertificateFingerprint.Parse(text));
        Assert.Contains("64 hex digits", ex.Message);
    }

    [Fact]
    public void Format_Hash_IsUpperCaseHexPairsJoinedByColons()
    {
        Assert.Equal("00:0A:FF", CertificateFingerprint.Format([0x00, 0x0a, 0xff]));
    }
}
