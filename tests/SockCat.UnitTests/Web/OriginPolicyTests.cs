using SockCat.Web;

namespace SockCat.UnitTests.Web;

public class OriginPolicyTests
{
    [Theory]
    [InlineData("https://example.com", "https://example.com:443")]
    [InlineData("HTTP://Example.COM:80", "http://example.com:80")]
    [InlineData("http://localhost:3000/", "http://localhost:3000")]
    [InlineData("http://[::1]:8080", "http://[::1]:8080")]
    [InlineData("null", null)]
    [InlineData("file:///tmp/page.html", null)]
    [InlineData("https://example.com/path", null)]
    [InlineData("example.com", null)]
    public void Normalize_Origin_GivesSchemeHostAndPort(string origin, string? expected)
    {
        Assert.Equal(expected, OriginPolicy.Normalize(origin));
    }

    [Fact]
    public void Constructor_NotAnOrigin_SaysHowToWriteOne()
    {
        var ex = Assert.Throws<ArgumentException>(() => new OriginPolicy(["example.com"]));
        Assert.Contains("e.g. https://example.com", ex.Message);
    }
}
