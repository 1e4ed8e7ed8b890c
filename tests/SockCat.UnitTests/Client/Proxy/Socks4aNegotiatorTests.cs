using SockCat.Client;
using SockCat.Client.Proxy;
using SockCat.Endpoints;

namespace SockCat.UnitTests.Client.Proxy;

public sealed class Socks4aNegotiatorTests
{
    private static NegotiatorDriver Driver(string proxy, string target) =>
        new(ProxyNegotiator.Create(ProxyUrl.Parse(proxy), EndpointUrl.Parse(target)));

    [Fact]
    public void Request_HostName_GoesAfterTheAddress0001_WithTheUserId()
    {
        var driver = Driver("socks4a://bob@127.0.0.1:1080", "tcp://example.com:80");

        Assert.Equal([4, 1, 0, 80, 0, 0, 0, 1, .. "bob"u8.ToArray(), 0, .. "example.com"u8.ToArray(), 0], driver.Start());
        Assert.Equal(8, driver.Negotiator.Wanted);
        driver.Answer(0, 90, 0, 0, 0, 0, 0, 0);
        Assert.True(driver.Negotiator.IsOpen);
    }

    [Fact]
    public void Request_Ipv4Address_IsSocks4WithNoName()
    {
        var driver = Driver("socks4a://127.0.0.1:1080", "tcp://10.1.2.3:4444");

        Assert.Equal(new byte[] { 4, 1, 0x11, 0x5c, 10, 1, 2, 3, 0 }, driver.Start());
    }

    [Fact]
    public void Reply91_IsProxyTarget()
    {
        var driver = Driver("socks4a://127.0.0.1:1080", "tcp://example.com:80");
        driver.Start();

        var ex = Assert.Throws<ConnectException>(() => driver.Answer(0, 91, 0, 0, 0, 0, 0, 0));

        Assert.Equal(ConnectFailure.ProxyTarget, ex.Failure);
        Assert.Equal("SOCKS4_REJECTED", ex.ErrorName);
        Assert.Equal("the SOCKS4a proxy 127.0.0.1:1080 could not connect to example.com:80: request rejected or failed (SOCKS4 reply 91)", ex.Message);
    }

    [Theory]
    [InlineData(92)]
    [InlineData(93)]
    public void IdentdReplies_AreProxyAuthentication(byte reply)
    {
        var driver = Driver("socks4a://127.0.0.1:1080", "tcp://example.com:80");
        driver.Start();

        Assert.Equal(ConnectFailure.ProxyAuthentication, Assert.Throws<ConnectException>(() => driver.Answer(0, reply, 0, 0, 0, 0, 0, 0)).Failure);
    }

    [Fact]
    public void Reply_NotSocks4_IsProxyProtocol()
    {
        var driver = Driver("socks4a://127.0.0.1:1080", "tcp://example.com:80");
        driver.Start();

        var ex = Assert.Throws<ConnectException>(() => driver.Answer("HTTP/1.0"u8.ToArray()));

        Assert.Equal(ConnectFailure.ProxyProtocol, ex.Failure);
        Assert.Contains("'HTTP/1.0'", ex.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Create_Ipv6Target_ThrowsAndNamesSocks5()
    {
        var ex = Assert.Throws<ArgumentException>(() => ProxyNegotiator.Create(ProxyUrl.Parse("socks4a://127.0.0.1"), EndpointUrl.Parse("tcp://[::1]:80")));

        Assert.Contains("socks5://", ex.Message, StringComparison.Ordinal);
    }
}
