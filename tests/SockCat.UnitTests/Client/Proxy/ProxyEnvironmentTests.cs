using SockCat.Client.Proxy;
using SockCat.Endpoints;

namespace SockCat.UnitTests.Client.Proxy;

public sealed class ProxyEnvironmentTests
{
    [Theory]
    [InlineData("tcp://h:1", "all_proxy,ALL_PROXY")]
    [InlineData("tls://h:1", "https_proxy,HTTPS_PROXY,all_proxy,ALL_PROXY")]
    [InlineData("wss://h:1/", "https_proxy,HTTPS_PROXY,all_proxy,ALL_PROXY")]
    [InlineData("ws://h:1/", "http_proxy,all_proxy,ALL_PROXY")]
    [InlineData("udp://h:1", "")]
    [InlineData("unix:///tmp/s", "")]
    public void VariablesFor_EachScheme_AsCurlReadsThem(string target, string expected)
    {
        Assert.Equal(expected, string.Join(',', ProxyEnvironment.VariablesFor(EndpointUrl.Parse(target))));
    }

    [Theory]
    [InlineData("example.com", "example.com", true)]
    [InlineData("www.example.com", "example.com", true)]
    [InlineData("www.example.com", ".example.com", true)]
    [InlineData("www.example.com", "*.example.com", true)]
    [InlineData("badexample.com", "example.com", false)]
    [InlineData("example.com.org", "example.com", false)]
    [InlineData("anything", "*", true)]
    [InlineData("127.0.0.1", "localhost", false)]
    [InlineData("localhost", "localhost, 127.0.0.1", true)]
    [InlineData("127.0.0.1", "localhost,127.0.0.1", true)]
    [InlineData("10.2.3.4", "10.0.0.0/8", true)]
    [InlineData("11.2.3.4", "10.0.0.0/8", false)]
    [InlineData("::1", "::1", true)]
    [InlineData("::1", "[::1]", true)]
    [InlineData("LOCALHOST", "localhost", true)]
    [InlineData("localhost", "", false)]
    [InlineData("localhost", null, false)]
    public void IsExempt_AsCurlMatchesNoProxy(string host, string? noProxy, bool exempt)
    {
        Assert.Equal(exempt, ProxyEnvironment.IsExempt(host, noProxy));
    }

    [Fact]
    public void IsExempt_Loopback_NotUnlessListed()
    {
        // curl 7.88 sends 127.0.0.1 and localhost through ALL_PROXY when NO_PROXY does not list them (checked by hand).
        Assert.False(ProxyEnvironment.IsExempt("127.0.0.1", "example.com"));
        Assert.False(ProxyEnvironment.IsExempt("localhost", "example.com"));
    }
}
