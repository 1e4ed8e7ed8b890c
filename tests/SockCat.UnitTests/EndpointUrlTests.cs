using SockCat.Endpoints;

namespace SockCat.UnitTests;

public class EndpointUrlTests
{
    [Theory]
    [InlineData("tcp://127.0.0.1:4444", EndpointScheme.Tcp, "127.0.0.1", 4444, "", "tcp://127.0.0.1:4444")]
    [InlineData("tcp://0.0.0.0:4444", EndpointScheme.Tcp, "0.0.0.0", 4444, "", "tcp://0.0.0.0:4444")]
    [InlineData("tcp://www.google.com:80", EndpointScheme.Tcp, "www.google.com", 80, "", "tcp://www.google.com:80")]
    [InlineData("udp://127.0.0.1:13", EndpointScheme.Udp, "127.0.0.1", 13, "", "udp://127.0.0.1:13")]
    [InlineData("localhost:9000", EndpointScheme.Tcp, "localhost", 9000, "", "tcp://localhost:9000")]
    [InlineData("TCP://Example.com:1", EndpointScheme.Tcp, "Example.com", 1, "", "tcp://Example.com:1")]
    [InlineData("tcp://[::1]:4444", EndpointScheme.Tcp, "::1", 4444, "", "tcp://[::1]:4444")]
    [InlineData("[::]:0", EndpointScheme.Tcp, "::", 0, "", "tcp://[::]:0")]
    [InlineData("tcp://127.0.0.1:0", EndpointScheme.Tcp, "127.0.0.1", 0, "", "tcp://127.0.0.1:0")]
    [InlineData("tcp://127.0.0.1:65535", EndpointScheme.Tcp, "127.0.0.1", 65535, "", "tcp://127.0.0.1:65535")]
    [InlineData("tls://localhost:443", EndpointScheme.Tls, "localhost", 443, "", "tls://localhost:443")]
    [InlineData("ssl://localhost:443", EndpointScheme.Tls, "localhost", 443, "", "tls://localhost:443")]
    [InlineData("unix:///tmp/echo.sock", EndpointScheme.Unix, "", 0, "/tmp/echo.sock", "unix:///tmp/echo.sock")]
    [InlineData("ws://127.0.0.1:8080/chat", EndpointScheme.WebSocket, "127.0.0.1", 8080, "/chat", "ws://127.0.0.1:8080/chat")]
    [InlineData("http://localhost", EndpointScheme.Http, "localhost", 80, "/", "http://localhost:80/")]
    [InlineData("wss://127.0.0.1:8443/echo", EndpointScheme.WebSocketSecure, "127.0.0.1", 8443, "/echo", "wss://127.0.0.1:8443/echo")]
    [InlineData("WSS://localhost", EndpointScheme.WebSocketSecure, "localhost", 443, "/", "wss://localhost:443/")]
    [InlineData("https://[::1]:0", EndpointScheme.Https, "::1", 0, "/", "https://[::1]:0/")]
    [InlineData("  tcp://127.0.0.1:7  ", EndpointScheme.Tcp, "127.0.0.1", 7, "", "tcp://127.0.0.1:7")]
    public void Parse_ValidForm_GivesParts(string text, EndpointScheme scheme, string host, int port, string path, string canonical)
    {
        var url = EndpointUrl.Parse(text);

        Assert.Equal(scheme, url.Scheme);
        Assert.Equal(host, url.Host);
        Assert.Equal(port, url.Port);
        Assert.Equal(path, url.Path);
        Assert.Equal(canonical, url.ToString());
        Assert.Equal(url, EndpointUrl.Parse(url.ToString()));
    }

    [Theory]
    [InlineData("", "empty", "tcp://127.0.0.1:4444")]
    [InlineData("tcp://127.0.0.1", "no port", "tcp://127.0.0.1:4444")]
    [InlineData("127.0.0.1", "no port", "tcp://127.0.0.1:4444")]
    [InlineData("tcp://127.0.0.1:", "no port", "tcp://127.0.0.1:4444")]
    [InlineData("tcp://127.0.0.1:65536", "over 65535", "tcp://127.0.0.1:4444")]
    [InlineData("tcp://127.0.0.1:99999999999", "over 65535", "tcp://127.0.0.1:4444")]
    [InlineData("tcp://127.0.0.1:-1", "not a number", "tcp://127.0.0.1:4444")]
    [InlineData("tcp://127.0.0.1:http", "not a number", "tcp://127.0.0.1:4444")]
    [InlineData("ftp://127.0.0.1:21", "unknown scheme 'ftp://'", "tcp://127.0.0.1:4444")]
    [InlineData("tcp://:4444", "no host", "tcp://127.0.0.1:4444")]
    [InlineData("tcp://127.0.0.1:80/index.html", "path ('/index.html') does not belong", "tcp://127.0.0.1:4444")]
    [InlineData("udp://127.0.0.1:13/", "does not belong", "udp://127.0.0.1:4444")]
    [InlineData("tls://127.0.0.1:443/x", "does not belong", "tls://127.0.0.1:4444")]
    [InlineData("wss://:443/", "no host", "wss://127.0.0.1:4444")]
    [InlineData("gopher://127.0.0.1:70", "wss://, http:// or https://", "tcp://127.0.0.1:4444")]
    [InlineData("tcp://::1:4444", "brackets", "tcp://[::1]:4444")]
    [InlineData("tcp://[::1:4444", "unclosed", "tcp://[::1]:4444")]
    [InlineData("tcp://[127.0.0.1]:4444", "not an IPv6 address", "tcp://[::1]:4444")]
    [InlineData("tcp://bad host:1", "not a host name", "tcp://127.0.0.1:4444")]
    [InlineData("unix://", "no socket path", "unix:///tmp/sockcat.sock")]
    [InlineData("unix://tmp/x.sock", "not absolute", "unix:///tmp/x.sock")]
    public void Parse_InvalidForm_NamesProblemAndShowsExample(string text, string problem, string example)
    {
        var ex = Assert.Throws<EndpointFormatException>(() => EndpointUrl.Parse(text));

        Assert.Contains(problem, ex.Message);
        Assert.Contains(example, ex.Message);
        Assert.False(EndpointUrl.TryParse(text, out var url, out var error));
        Assert.Null(url);
        Assert.Equal(ex.Message, error);
    }

    [Fact]
    public void IsWebAndIsSecure_EachScheme_SayWhatItIs()
    {
        Assert.Equal(
            ["ws", "http", "wss", "https"],
            new[] { "tcp://a:1", "ws://a:1", "http://a:1", "wss://a:1", "https://a:1", "tls://a:1", "unix:///a" }
                .Select(EndpointUrl.Parse).Where(u => u.IsWeb).Select(u => EndpointUrl.SchemeName(u.Scheme)));
        Assert.Equal(
            ["wss", "https", "tls"],
            new[] { "tcp://a:1", "ws://a:1", "http://a:1", "wss://a:1", "https://a:1", "tls://a:1", "unix:///a" }
                .Select(EndpointUrl.Parse).Where(u => u.IsSecure).Select(u => EndpointUrl.SchemeName(u.Scheme)));
    }

    [Fact]
    public void Parse_UnixPathOverSunPathLimit_IsRejected()
    {
        var ex = Assert.Throws<EndpointFormatException>(() => EndpointUrl.Parse("unix:///tmp/" + new string('a', 120)));
        Assert.Contains("over the 107", ex.Message);
    }

    [Fact]
    public void ToEndPoint_AddressOrUnix_NeedsNoResolution()
    {
        Assert.Equal("127.0.0.1:4444", EndpointUrl.Parse("tcp://127.0.0.1:4444").ToEndPoint()!.ToString());
        Assert.IsType<System.Net.Sockets.UnixDomainSocketEndPoint>(EndpointUrl.Parse("unix:///tmp/a.sock").ToEndPoint());
        Assert.Null(EndpointUrl.Parse("tcp://localhost:1").ToEndPoint());
    }
}
