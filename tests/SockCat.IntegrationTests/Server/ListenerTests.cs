using System.Text;
using SockCat.Endpoints;
using SockCat.Server;
using SockCat.Services.Echo;
using SockCat.Testing;

namespace SockCat.IntegrationTests.Server;

public sealed class ListenerTests
{
    [Theory]
    [MemberData(nameof(TransportMatrix.All), MemberType = typeof(TransportMatrix))]
    public async Task Listen_TwoProtocolsOnTwoListeners_EachConnectionSpeaksItsListenersOne(TestTransport transport)
    {
        // The second protocol greets with the listener its connection came in on.
        await using var server = await LoopbackServer.StartAsync(transport, [_ => EchoProtocol.Instance, _ => new GreetingProtocol()]);
        await using var echoClient = await server.ConnectAsync(server.Endpoints[0]);
        await using var greetedClient = await server.ConnectAsync(server.Endpoints[1]);

        var greeting = Encoding.UTF8.GetBytes($"listener {server.Endpoints[1]}\n");
        Assert.Equal(greeting, await greetedClient.ReadExactlyAsync(greeting.Length));
        await echoClient.Stream.WriteAsync("ping"u8.ToArray());
        Assert.Equal("ping"u8.ToArray(), await echoClient.ReadExactlyAsync(4));

        // One registry and one log for both listeners.
        await server.Logs.WaitForLineAsync("Now there are total 2 clients.");
        var listeners = server.Server.Connections.GetSnapshot().Select(c => c.Listener.ToString()).Order();
        Assert.Equal(server.Endpoints.Select(u => u.ToString()).Order(), listeners);
        Assert.Equal(server.Endpoints, server.Server.BoundEndpoints);
    }

    [Fact]
    public async Task Listen_AfterStart_Throws()
    {
        await using var server = new SockCatServer();
        server.Listen(EndpointUrl.Parse("tcp://127.0.0.1:0"), _ => EchoProtocol.Instance);
        await server.StartAsync();

        Assert.Throws<InvalidOperationException>(() => server.Listen(EndpointUrl.Parse("tcp://127.0.0.1:0"), _ => EchoProtocol.Instance));
    }

    [Fact]
    public async Task StartAsync_NoListenerAndNoDefaultProtocol_Throws()
    {
        await using var server = new SockCatServer();

        await Assert.ThrowsAsync<InvalidOperationException>(() => server.StartAsync());
        await using var other = new SockCatServer();
        await Assert.ThrowsAsync<InvalidOperationException>(() => other.StartAsync([EndpointUrl.Parse("tcp://127.0.0.1:0")]));
    }

    [Fact]
    public async Task StartAsync_SlowConsumerLimitNotAboveTheQueueBound_Throws()
    {
        // At or under the bound, a producer waiting for room with WriteAsync would be cut as a slow consumer.
        await using var server = new SockCatServer(_ => EchoProtocol.Instance, new ServerOptions { MaxOutputQueueBytes = 1024, SlowConsumerLimitBytes = 1024 });

        var error = await Assert.ThrowsAsync<ArgumentOutOfRangeException>(() => server.StartAsync([EndpointUrl.Parse("tcp://127.0.0.1:0")]));
        Assert.Contains("must be more than MaxOutputQueueBytes (1024)", error.Message);
    }

    [Fact]
    public void Listen_UdpEndpoint_RefusedWithTheSchemesServed()
    {
        var server = new SockCatServer();

        var error = Assert.Throws<ServerListenException>(() => server.Listen(EndpointUrl.Parse("udp://127.0.0.1:0"), _ => EchoProtocol.Instance));
        Assert.Contains("use tcp://, unix:// or tls://", error.Message);
    }

    private sealed class GreetingProtocol : IConnectionProtocol
    {
        public void OnConnected(IConnection connection) => connection.Write(Encoding.UTF8.GetBytes($"listener {connection.Listener}\n"));

        public int OnReceived(IConnection connection, ReadOnlySpan<byte> data) => data.Length;
    }
}
