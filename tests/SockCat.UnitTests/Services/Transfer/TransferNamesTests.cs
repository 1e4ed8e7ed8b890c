using SockCat.Services.Transfer;

namespace SockCat.UnitTests.Services.Transfer;

public class TransferNamesTests
{
    [Theory]
    [InlineData("../x")]
    [InlineData("/etc/passwd")]
    [InlineData("..")]
    [InlineData(".")]
    [InlineData("a\\b")]
    [InlineData("..\\..\\x")]
    [InlineData("a\u0001b")]
    [InlineData("line\nbreak")]
    [InlineData("tab\there")]
    [InlineData("del\u007f")]
    [InlineData(".hidden")]
    [InlineData("")]
    public void Problem_HostileName_IsRefused(string name) => Assert.NotNull(TransferNames.Problem(name));

    [Theory]
    [InlineData("report.pdf")]
    [InlineData("my report (final).pdf")]
    [InlineData("vidéo-été.mp4")]
    [InlineData("a..b")]
    public void Problem_PlainName_IsAccepted(string name) => Assert.Null(TransferNames.Problem(name));

    [Fact]
    public void Problem_Over255Bytes_IsRefused_255Accepted()
    {
        Assert.Null(TransferNames.Problem(new string('a', 255)));
        Assert.NotNull(TransferNames.Problem(new string('a', 256)));
        Assert.NotNull(TransferNames.Problem(new string('é', 128))); // 256 bytes of UTF-8
    }

    [Fact]
    public void Numbered_KeepsTheExtension_AndStaysWithinTheLimit()
    {
        Assert.Equal("report-1.pdf", TransferNames.Numbered("report.pdf", 1));
        Assert.Equal("README-12", TransferNames.Numbered("README", 12));
        var longName = new string('a', 250) + ".txt";
        var numbered = TransferNames.Numbered(longName, 7);
        Assert.EndsWith("-7.txt", numbered, StringComparison.Ordinal);
        Assert.True(System.Text.Encoding.UTF8.GetByteCount(numbered) <= 255);
    }
}
