using System.Text;
using SockCat.Client;
using SockCat.Client.Proxy;
using SockCat.Endpoints;

namespace SockCat.UnitTests.Client.Proxy;

public sealed class HttpConnectNegotiatorTests
{
    private static NegotiatorDriver Driver(string proxy = "http://127.0.0.1:3128", string target = "tcp://example.com:443") =>
        new(ProxyNegotiator.Create(ProxyUrl.Parse(proxy), EndpointUrl.Parse(target)));

    private static byte[] Ascii(string text) => Encoding.ASCII.GetBytes(text);

    [Fact]
    public void Request_NoCredentials_IsConnectWithHost()
    {
        Assert.Equal("CONNECT example.com:443 HTTP/1.1\r\nHost: example.com:443\r\n\r\n", Encoding.ASCII.GetString(Driver().Start()));
    }

    [Fact]
    public void Request_Credentials_AddsBasicProxyAuthorization()
    {
        var request = Encoding.ASCII.GetString(Driver("http://alice:open%20sesame@127.0.0.1:3128", "tcp://[::1]:22").Start());

        Assert.Equal(
            $"CONNECT [::1]:22 HTTP/1.1\r\nHost: [::1]:22\r\nProxy-Authorization: Basic {Convert.ToBase64String(Ascii("alice:open sesame"))}\r\n\r\n",
            request);
    }

    [Theory]
    [InlineData("HTTP/1.1 200 Connection established\r\n\r\n")]
    [InlineData("HTTP/1.0 200 OK\r\nProxy-Agent: tinyproxy/1.11.1\r\n\r\n")]
    [InlineData("HTTP/1.1 200 OK\n\n")]
    public void Answer_2xx_OpensAfterTheLastByteOfTheHeader_NeverBefore(string answer)
    {
        var driver = Driver();
        driver.Start();

        var bytes = Ascii(answer);
        driver.Answer(bytes[..^1]);
        Assert.False(driver.Negotiator.IsOpen);
        Assert.Equal(1, driver.Negotiator.Wanted);
        driver.Answer(bytes[^1]);
        Assert.True(driver.Negotiator.IsOpen);
    }

    [Fact]
    public void Answer_407WithoutCredentials_AsksForThem()
    {
        var driver = Driver();
        driver.Start();

        var ex = Assert.Throws<ConnectException>(() => driver.Answer(Ascii("HTTP/1.1 407 Proxy Authentication Required\r\nProxy-Authenticate: Basic realm=\"x\"\r\n\r\n")));

        Assert.Equal(ConnectFailure.ProxyAuthentication, ex.Failure);
        Assert.Equal(407, ex.ErrorNumber);
        Assert.Equal("the HTTP proxy 127.0.0.1:3128 requires a user name and password (407 Proxy Authentication Required)", ex.Message);
    }

    [Fact]
    public void Answer_407WithCredentials_RefusedAndNamesAnotherScheme()
    {
        var driver = Driver("http://alice:pw@127.0.0.1:3128");
        driver.Start();

        var ex = Assert.Throws<ConnectException>(() => driver.Answer(Ascii("HTTP/1.1 407 Proxy Authentication Required\r\nProxy-Authenticate: Negotiate\r\n\r\n")));

        Assert.Equal(ConnectFailure.ProxyAuthentication, ex.Failure);
        Assert.Equal("the HTTP proxy 127.0.0.1:3128 refused the user name 'alice' and its password (407 Proxy Authentication Required; it asks for Negotiate, and sockcat speaks Basic)", ex.Message);
    }

    [Theory]
    [InlineData("HTTP/1.0 403 Access violation", "will not connect to example.com:443 (403 Access violation)")]
    [InlineData("HTTP/1.1 502 Bad Gateway", "could not connect to example.com:443 (502 Bad Gateway)")]
    [InlineData("HTTP/1.1 504 Gateway Timeout", "could not connect to example.com:443: it timed out (504 Gateway Timeout)")]
    [InlineData("HTTP/1.0 500 Unable to connect", "could not connect to example.com:443 (500 Unable to connect)")]
    public void Answer_TargetRefusals_AreProxyTargetInWords(string status, string words)
    {
        var driver = Driver();
        driver.Start();

        var ex = Assert.Throws<ConnectException>(() => driver.Answer(Ascii(status + "\r\nContent-Length: 0\r\n\r\n")));

        Assert.Equal(ConnectFailure.ProxyTarget, ex.Failure);
        Assert.Equal($"the HTTP proxy 127.0.0.1:3128 {words}", ex.Message);
    }

    [Fact]
    public void Answer_SocksBytes_FailAtTheFirstByte()
    {
        var driver = Driver();
        driver.Start();

        // microsocks answers a request it cannot read with 05 FF: no need to wait for a header that will never come.
        var ex = Assert.Throws<ConnectException>(() => driver.Answer(5));

        Assert.Equal(ConnectFailure.ProxyProtocol, ex.Failure);
        Assert.Equal("the HTTP proxy 127.0.0.1:3128 answered CONNECT example.com:443 with bytes 05, which is not HTTP", ex.Message);
    }

    [Fact]
    public void Closed_MidHeader_IsProxyProtocol()
    {
        var driver = Driver();
        driver.Start();
        driver.Answer(Ascii("HTTP/1.1 2"));

        var ex = driver.Negotiator.Closed();

        Assert.Equal(ConnectFailure.ProxyProtocol, ex.Failure);
        Assert.Contains("in the middle of its answer to CONNECT example.com:443", ex.Message, StringComparison.Ordinal);
    }
}
