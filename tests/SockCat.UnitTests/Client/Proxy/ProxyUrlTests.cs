using SockCat.Client.Proxy;

namespace SockCat.UnitTests.Client.Proxy;

public sealed class ProxyUrlTests
{
    [Theory]
    [InlineData("socks5://127.0.0.1:1080", ProxyKind.Socks5, "127.0.0.1", 1080, null, null)]
    [InlineData("socks5h://proxy.example:9050", ProxyKind.Socks5, "proxy.example", 9050, null, null)]
    [InlineData("SOCKS5://alice:s3cret@10.0.0.1:1081/", ProxyKind.Socks5, "10.0.0.1", 1081, "alice", "s3cret")]
    [InlineData("socks4a://bob@[::1]:1080", ProxyKind.Socks4a, "::1", 1080, "bob", null)]
    [InlineData("http://u%40corp:p%3Aw@proxy:3128", ProxyKind.Http, "proxy", 3128, "u@corp", "p:w")]
    [InlineData("proxy.example:8080", ProxyKind.Http, "proxy.example", 8080, null, null)]
    [InlineData("http://proxy.example", ProxyKind.Http, "proxy.example", 1080, null, null)]
    public void Parse_Valid_GivesItsParts(string text, ProxyKind kind, string host, int port, string? user, string? password)
    {
        var url = ProxyUrl.Parse(text);

        Assert.Equal((kind, host, port, user, password), (url.Kind, url.Host, url.Port, url.UserName, url.Password));
    }

    [Theory]
    [InlineData("ftp://proxy:21", "has the scheme 'ftp', which is not a proxy's")]
    [InlineData("https://proxy:443", "a proxy reached over TLS (https://) is not supported; use http://")]
    [InlineData("socks4://proxy:1080", "use socks4a:// or socks5://")]
    [InlineData("socks5://proxy:99999", "has the port '99999'")]
    [InlineData("socks5://:1080", "has no host")]
    [InlineData("http://proxy:3128/path", "has a path (/path)")]
    [InlineData("", "no proxy given")]
    public void TryParse_Invalid_SaysWhatIsWrong(string text, string expected)
    {
        Assert.False(ProxyUrl.TryParse(text, out _, out var error));
        Assert.Contains(expected, error, StringComparison.Ordinal);
    }

    [Fact]
    public void TryParse_Invalid_KeepsThePasswordOutOfTheError()
    {
        Assert.False(ProxyUrl.TryParse("socks5://alice:s3cret@proxy:0", out _, out var error));
        Assert.DoesNotContain("s3cret", error, StringComparison.Ordinal);
        Assert.Contains("socks5://alice:***@proxy:0", error, StringComparison.Ordinal);
    }

    [Fact]
    public void ToString_LeavesThePasswordOut()
    {
        Assert.Equal("socks5://alice@[::1]:1080", ProxyUrl.Parse("socks5://alice:s3cret@[::1]:1080").ToString());
    }
}
