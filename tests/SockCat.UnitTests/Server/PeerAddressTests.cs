using System.Net;
using System.Net.Sockets;
using SockCat.Endpoints;
using SockCat.Server;

namespace SockCat.UnitTests.Server;

public sealed class PeerAddressTests
{
    private static readonly EndpointUrl Listener = EndpointUrl.Parse("tcp://0.0.0.0:4444");

    [Theory]
    [InlineData("127.0.0.1", 42203, "127.0.0.1:42203")]
    [InlineData("::1", 5, "[::1]:5")]
    [InlineData("::ffff:10.1.2.3", 80, "10.1.2.3:80")]
    public void PeerAddress_FromEndPoint_FormatsAsTheSeedPrintsIt(string address, int port, string expected)
    {
        var peer = PeerAddress.FromEndPoint(new IPEndPoint(IPAddress.Parse(address), port));

        Assert.Equal(expected, peer.Format(Listener));
        Assert.True(peer.IsIp);
    }

    [Fact]
    public unsafe void PeerAddress_FromSockAddrIn_ReadsNetworkOrder()
    {
        var sockaddr = new SocketAddress(AddressFamily.InterNetwork);
        var endPoint = new IPEndPoint(IPAddress.Parse("192.168.7.9"), 42203);
        endPoint.Serialize().Buffer.CopyTo(sockaddr.Buffer);
        var bytes = sockaddr.Buffer.ToArray();
        // SocketAddress stores the family in host order as Linux's sockaddr does.
        fixed (byte* p = bytes)
        {
            var peer = PeerAddress.FromSockAddr(p, bytes.Length);
            Assert.Equal("192.168.7.9:42203", peer.Format(Listener));
            Assert.Equal(IPAddress.Parse("192.168.7.9"), peer.ToIPAddress());
        }
    }

    [Fact]
    public void PeerAddress_UnixWithPid_NamesTheProcessAndSocket()
    {
        var listener = EndpointUrl.Parse("unix:///tmp/echo.sock");

        Assert.Equal("pid 4321 on unix:///tmp/echo.sock", PeerAddress.Unix(4321).Format(listener));
        Assert.Equal("unix:///tmp/echo.sock", PeerAddress.Unix(0).Format(listener));
        Assert.Null(PeerAddress.Unix(1).ToIPAddress());
    }
}
