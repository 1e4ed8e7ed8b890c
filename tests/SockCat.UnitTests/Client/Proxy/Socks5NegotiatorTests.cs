using System.Buffers;
using SockCat.Client;
using SockCat.Client.Proxy;
using SockCat.Endpoints;

namespace SockCat.UnitTests.Client.Proxy;

public sealed class Socks5NegotiatorTests
{
    private static readonly ProxyUrl Anonymous = ProxyUrl.Parse("socks5://127.0.0.1:1080");
    private static readonly ProxyUrl Alice = ProxyUrl.Parse("socks5://alice:s3cret@127.0.0.1:1080");

    private static NegotiatorDriver Driver(ProxyUrl proxy, string target = "tcp://example.com:4444") =>
        new(ProxyNegotiator.Create(proxy, EndpointUrl.Parse(target)));

    [Fact]
    public void Handshake_NoCredentials_GreetsConnectsByNameAndOpens()
    {
        var driver = Driver(Anonymous);

        Assert.Equal(new byte[] { 5, 1, 0 }, driver.Start());
        var request = driver.Answer(5, 0);
        // VER CMD RSV ATYP=3 (name) LEN "example.com" PORT=4444: the proxy resolves the name.
        Assert.Equal([5, 1, 0, 3, 11, .. "example.com"u8.ToArray(), 0x11, 0x5c], request);
        Assert.False(driver.Negotiator.IsOpen);
        Assert.Empty(driver.Answer(5, 0, 0, 1, 127, 0, 0, 1, 0x9c, 0x40));
        Assert.True(driver.Negotiator.IsOpen);
        Assert.Equal(0, driver.Negotiator.Wanted);
    }

    [Fact]
    public void Handshake_UserAndPassword_SendsRfc1929ThenTheRequest()
    {
        var driver = Driver(Alice, "tcp://127.0.0.1:80");

        Assert.Equal(new byte[] { 5, 2, 0, 2 }, driver.Start());
        Assert.Equal([1, 5, .. "alice"u8.ToArray(), 6, .. "s3cret"u8.ToArray()], driver.Answer(5, 2));
        // An IPv4 literal goes as ATYP 1.
        Assert.Equal(new byte[] { 5, 1, 0, 1, 127, 0, 0, 1, 0, 80 }, driver.Answer(1, 0));
        driver.Answer(5, 0, 0, 1, 0, 0, 0, 0, 0, 0);
        Assert.True(driver.Negotiator.IsOpen);
    }

    [Fact]
    public void Request_Ipv6Target_SendsAddressType4()
    {
        var driver = Driver(Anonymous, "tcp://[::1]:7");
        driver.Start();

        Assert.Equal([5, 1, 0, 4, .. new byte[15], 1, 0, 7], driver.Answer(5, 0));
    }

    [Fact]
    public void Reply_BoundAddressIsAName_ReadsExactlyItsLength()
    {
        var driver = Driver(Anonymous);
        driver.Start();
        driver.Answer(5, 0);

        driver.Answer(5, 0, 0, 3, 4, (byte)'p', (byte)'r', (byte)'o', (byte)'x', 0, 1);

        Assert.True(driver.Negotiator.IsOpen);
    }

    [Fact]
    public void Receive_MoreThanWanted_Throws_SoTheTargetsBytesAreNeverEaten()
    {
        var negotiator = ProxyNegotiator.Create(Anonymous, EndpointUrl.Parse("tcp://example.com:25"));
        var output = new ArrayBufferWriter<byte>();
        negotiator.Start(output);
        negotiator.Receive([5, 0], output);
        Assert.Equal(4, negotiator.Wanted);
        negotiator.Receive([5, 0, 0, 1], output);
        Assert.Equal(6, negotiator.Wanted);

        // The reply's last 6 bytes and a server greeting right behind them in one read: the driver must not pass them.
        Assert.Throws<ArgumentException>(() => negotiator.Receive([127, 0, 0, 1, 0, 25, (byte)'2', (byte)'2', (byte)'0'], output));
    }

    [Theory]
    [InlineData(1, "SOCKS5_GENERAL_FAILURE", "general SOCKS server failure")]
    [InlineData(2, "SOCKS5_NOT_ALLOWED", "connection not allowed by ruleset")]
    [InlineData(3, "SOCKS5_NETWORK_UNREACHABLE", "network unreachable")]
    [InlineData(4, "SOCKS5_HOST_UNREACHABLE", "host unreachable")]
    [InlineData(5, "SOCKS5_CONNECTION_REFUSED", "connection refused")]
    [InlineData(6, "SOCKS5_TTL_EXPIRED", "TTL expired")]
    [InlineData(7, "SOCKS5_COMMAND_NOT_SUPPORTED", "command not supported")]
    [InlineData(8, "SOCKS5_ADDRESS_NOT_SUPPORTED", "address type not supported")]
    public void Reply_Failure_IsProxyTargetInWords(byte reply, string name, string words)
    {
        var driver = Driver(Anonymous);
        driver.Start();
        driver.Answer(5, 0);

        var ex = Assert.Throws<ConnectException>(() => driver.Answer(5, reply, 0, 1));

        Assert.Equal(ConnectFailure.ProxyTarget, ex.Failure);
        Assert.Equal(reply, ex.ErrorNumber);
        Assert.Equal(name, ex.ErrorName);
        Assert.Equal($"the SOCKS5 proxy 127.0.0.1:1080 could not connect to example.com:4444: {words} (SOCKS5 reply {reply})", ex.Message);
        Assert.False(driver.Negotiator.IsOpen);
    }

    [Fact]
    public void Method_NoneAcceptableWithoutCredentials_SaysCredentialsAreRequired()
    {
        var driver = Driver(Anonymous);
        driver.Start();

        var ex = Assert.Throws<ConnectException>(() => driver.Answer(5, 0xff));

        Assert.Equal(ConnectFailure.ProxyAuthentication, ex.Failure);
        Assert.Equal("the SOCKS5 proxy 127.0.0.1:1080 requires a user name and password", ex.Message);
        Assert.Contains("socks5://user:password@host:port", ex.Hint, StringComparison.Ordinal);
    }

    [Fact]
    public void Authentication_Refused_NamesTheUserNotThePassword()
    {
        var driver = Driver(Alice);
        driver.Start();
        driver.Answer(5, 2);

        var ex = Assert.Throws<ConnectException>(() => driver.Answer(1, 1));

        Assert.Equal(ConnectFailure.ProxyAuthentication, ex.Failure);
        Assert.Contains("refused the user name 'alice'", ex.Message, StringComparison.Ordinal);
        Assert.DoesNotContain("s3cret", ex.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Greeting_AnsweredByAnHttpServer_IsProxyProtocol()
    {
        var driver = Driver(Anonymous);
        driver.Start();

        var ex = Assert.Throws<ConnectException>(() => driver.Answer((byte)'H', (byte)'T'));

        Assert.Equal(ConnectFailure.ProxyProtocol, ex.Failure);
        Assert.Equal("the SOCKS5 proxy 127.0.0.1:1080 answered the SOCKS5 greeting with 'HT', which is not SOCKS5", ex.Message);
    }

    [Fact]
    public void Method_NotOffered_IsProxyProtocol()
    {
        var driver = Driver(Anonymous);
        driver.Start();

        var ex = Assert.Throws<ConnectException>(() => driver.Answer(5, 2));

        Assert.Equal(ConnectFailure.ProxyProtocol, ex.Failure);
    }

    [Fact]
    public void TimedOut_AtTheGreeting_IsProxyProtocol_AfterTheRequest_TimedOut()
    {
        var atGreeting = Driver(Anonymous);
        atGreeting.Start();
        var early = atGreeting.Negotiator.TimedOut("2 s");
        Assert.Equal(ConnectFailure.ProxyProtocol, early.Failure);
        Assert.Contains("said nothing for 2 s after the SOCKS5 greeting", early.Message, StringComparison.Ordinal);

        var atRequest = Driver(Anonymous);
        atRequest.Start();
        atRequest.Answer(5, 0);
        Assert.Equal(ConnectFailure.TimedOut, atRequest.Negotiator.TimedOut("2 s").Failure);
    }

    [Fact]
    public void Closed_BeforeTheGreetingsAnswer_SaysWhere()
    {
        var driver = Driver(Anonymous);
        driver.Start();

        var ex = driver.Negotiator.Closed();

        Assert.Equal(ConnectFailure.ProxyProtocol, ex.Failure);
        Assert.Equal("the SOCKS5 proxy 127.0.0.1:1080 closed the connection before answering the SOCKS5 greeting", ex.Message);
    }
}
