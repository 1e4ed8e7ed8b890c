using System.Net;
using System.Net.Sockets;
using SockCat.Client;
using SockCat.Endpoints;

namespace SockCat.IntegrationTests.Client;

/// <summary>ConnectOptions.AddressFamily (nc -4/-6) and LocalEndPoint (nc -s) on real loopback sockets.</summary>
public sealed class ConnectAddressTests
{
    [Fact]
    public async Task ConnectAsync_IPv6Only_SkipsTheNamesIPv4AddressAndConnectsOverIPv6()
    {
        using var cts = new CancellationTokenSource(LoopbackPeers.TestTimeout);
        // The IPv4 address has a listener too: without the family rule it would be the one connected to, being first.
        using var v4 = new TcpListener(IPAddress.Loopback, 0);
        v4.Start();
        var port = ((IPEndPoint)v4.LocalEndpoint).Port;
        using var v6 = new TcpListener(IPAddress.IPv6Loopback, port);
        v6.Start();
        var accept = v6.AcceptSocketAsync(cts.Token);
        IPAddress[] addresses = [IPAddress.Loopback, IPAddress.IPv6Loopback];

        await using var connection = await SocketClient.ConnectWithResolverAsync(
            EndpointUrl.Parse($"tcp://both.test:{port}"), new ConnectOptions { AddressFamily = AddressFamily.InterNetworkV6 },
            (_, _) => Task.FromResult(addresses), cts.Token);

        Assert.Equal(new IPEndPoint(IPAddress.IPv6Loopback, port), connection.RemoteEndPoint);
        using var accepted = await accept;
    }

    [Fact]
    public async Task ConnectAsync_IPv6OnlyAndTheNameHasOnlyIPv4_FailsAsHostNotFoundNamingWhatItHas()
    {
        IPAddress[] addresses = [IPAddress.Loopback];

        var ex = await Assert.ThrowsAsync<ConnectException>(() => SocketClient.ConnectWithResolverAsync(
            EndpointUrl.Parse("tcp://v4only.test:4444"), new ConnectOptions { AddressFamily = AddressFamily.InterNetworkV6 },
            (_, _) => Task.FromResult(addresses), CancellationToken.None));

        Assert.Equal(ConnectFailure.HostNotFound, ex.Failure);
        Assert.Equal("EAI_ADDRFAMILY", ex.ErrorName);
        Assert.Equal("the host 'v4only.test' has no IPv6 address, only 127.0.0.1 (EAI_ADDRFAMILY)", ex.Message);
    }

    [Theory]
    [InlineData("tcp://[::1]:4444", AddressFamily.InterNetwork)]
    [InlineData("udp://127.0.0.1:4444", AddressFamily.InterNetworkV6)]
    public async Task ConnectAsync_LiteralOfTheOtherFamily_IsAnArgumentError(string url, AddressFamily family)
    {
        var ex = await Assert.ThrowsAsync<ArgumentException>(() => SocketClient.ConnectAsync(EndpointUrl.Parse(url), new ConnectOptions { AddressFamily = family }));

        Assert.Contains("address, and only", ex.Message);
    }

    [Fact]
    public async Task ConnectAsync_LocalEndPoint_TheServerSeesTheConnectionComeFromIt()
    {
        using var cts = new CancellationTokenSource(LoopbackPeers.TestTimeout);
        using var listener = new TcpListener(IPAddress.Loopback, 0);
        listener.Start();
        var port = ((IPEndPoint)listener.LocalEndpoint).Port;
        var accept = listener.AcceptSocketAsync(cts.Token);
        // 127.0.0.2 is loopback but never the address the system would pick for 127.0.0.1.
        var source = IPAddress.Parse("127.0.0.2");

        await using var connection = await SocketClient.ConnectAsync(
            EndpointUrl.Parse($"tcp://127.0.0.1:{port}"), new ConnectOptions { LocalEndPoint = new IPEndPoint(source, 0) }, cts.Token);
        using var accepted = await accept;

        Assert.Equal(source, ((IPEndPoint)accepted.RemoteEndPoint!).Address);
        Assert.Equal(connection.LocalEndPoint, accepted.RemoteEndPoint);
    }

    [Fact]
    public async Task ConnectAsync_UdpWithLocalEndPoint_TheDatagramComesFromIt()
    {
        using var cts = new CancellationTokenSource(LoopbackPeers.TestTimeout);
        using var server = new Socket(AddressFamily.InterNetwork, SocketType.Dgram, ProtocolType.Udp);
        server.Bind(new IPEndPoint(IPAddress.Loopback, 0));
        var port = ((IPEndPoint)server.LocalEndPoint!).Port;
        var source = IPAddress.Parse("127.0.0.3");

        await using var connection = await SocketClient.ConnectAsync(
            EndpointUrl.Parse($"udp://127.0.0.1:{port}"), new ConnectOptions { LocalEndPoint = new IPEndPoint(source, 0) }, cts.Token);
        await connection.SendDatagramAsync("ping"u8.ToArray(), cts.Token);
        var received = await server.ReceiveFromAsync(new byte[16], new IPEndPoint(IPAddress.Any, 0), cts.Token);

        Assert.Equal(connection.LocalEndPoint, received.RemoteEndPoint);
        Assert.Equal(source, ((IPEndPoint)received.RemoteEndPoint).Address);
    }

    [Fact]
    public async Task ConnectAsync_LocalAddressNotOnThisMachine_FailsAsLocalAddressWithEaddrnotavail()
    {
        // 192.0.2.0/24 is TEST-NET-1 (RFC 5737): never an address of a real machine; bind fails before any packet is sent.
        var ex = await Assert.ThrowsAsync<ConnectException>(() => SocketClient.ConnectAsync(
            EndpointUrl.Parse("tcp://127.0.0.1:4444"), new ConnectOptions { LocalEndPoint = new IPEndPoint(IPAddress.Parse("192.0.2.1"), 0) }));

        Assert.Equal(ConnectFailure.LocalAddress, ex.Failure);
        Assert.Equal("EADDRNOTAVAIL", ex.ErrorName);
        Assert.Equal("cannot use local address 192.0.2.1: 192.0.2.1 is not an address of this machine (EADDRNOTAVAIL)", ex.Message);
    }

    [Fact]
    public async Task ConnectAsync_LocalPortHeldByAListener_FailsAsLocalAddressWithEaddrinuse()
    {
        using var target = new TcpListener(IPAddress.Loopback, 0);
        target.Start();
        using var holder = new TcpListener(IPAddress.Loopback, 0);
        holder.Start();
        var held = ((IPEndPoint)holder.LocalEndpoint).Port;

        var ex = await Assert.ThrowsAsync<ConnectException>(() => SocketClient.ConnectAsync(
            EndpointUrl.Parse($"tcp://127.0.0.1:{((IPEndPoint)target.LocalEndpoint).Port}"),
            new ConnectOptions { LocalEndPoint = new IPEndPoint(IPAddress.Loopback, held) }));

        Assert.Equal(ConnectFailure.LocalAddress, ex.Failure);
        Assert.Equal("EADDRINUSE", ex.ErrorName);
        Assert.Equal($"cannot use local address 127.0.0.1:{held}: port {held} is already in use (EADDRINUSE)", ex.Message);
    }

    [Fact]
    public async Task ConnectAsync_LocalEndPointOfTheOtherFamilyThanTheTarget_IsAnArgumentError()
    {
        var ex = await Assert.ThrowsAsync<ArgumentException>(() => SocketClient.ConnectAsync(
            EndpointUrl.Parse("tcp://[::1]:4444"), new ConnectOptions { LocalEndPoint = new IPEndPoint(IPAddress.Loopback, 0) }));

        Assert.Contains("the local address 127.0.0.1:0 is IPv4", ex.Message);
    }
}
