using System.Net;
using System.Net.Sockets;
using System.Text;
using SockCat.Endpoints;
using SockCat.Server;
using SockCat.Services.Echo;
using SockCat.Testing;

namespace SockCat.IntegrationTests.Server;

public sealed class ServerLifecycleTests
{
    // Plain transports only: on tls a waiting client's handshake waits too, so it cannot even finish connecting.
    [Theory]
    [MemberData(nameof(TransportMatrix.Plain), MemberType = typeof(TransportMatrix))]
    public async Task Single_ThreeClients_ServedOneAtATimeInOrder(TestTransport transport)
    {
        await using var server = await LoopbackServer.StartAsync(transport, _ => EchoProtocol.Instance, o => o.SingleClient = true);
        await using var first = await server.ConnectAsync();
        await first.Stream.WriteAsync("a"u8.ToArray());
        Assert.Equal("a"u8.ToArray(), await first.ReadExactlyAsync(1));

        var second = await server.ConnectAsync();
        var third = await server.ConnectAsync();
        await second.Stream.WriteAsync("b"u8.ToArray());
        await third.Stream.WriteAsync("c"u8.ToArray());
        var secondEcho = second.ReadExactlyAsync(1, TimeSpan.FromSeconds(10));
        var thirdEcho = third.ReadExactlyAsync(1, TimeSpan.FromSeconds(10));

        // While the first is served the others wait in the backlog: no echo, no accept line.
        await first.Stream.WriteAsync("a"u8.ToArray());
        Assert.Equal("a"u8.ToArray(), await first.ReadExactlyAsync(1));
        Assert.False(secondEcho.IsCompleted);
        Assert.Equal(1, server.Server.Connections.Count);

        await first.DisposeAsync();
        Assert.Equal("b"u8.ToArray(), await secondEcho);
        Assert.False(thirdEcho.IsCompleted);
        await second.DisposeAsync();
        Assert.Equal("c"u8.ToArray(), await thirdEcho);
        await third.DisposeAsync();

        await server.Logs.WaitForAsync(m => m.Count(l => l == "A client disconnected. Now there are total 0 clients.") == 3);
        Assert.DoesNotContain("Now there are total 2 clients.", server.Logs.Messages);
    }

    [Theory]
    [MemberData(nameof(TransportMatrix.All), MemberType = typeof(TransportMatrix))]
    public async Task Stop_WithDrain_StopsAcceptingLetsOpenConnectionsFinish(TestTransport transport)
    {
        await using var server = await LoopbackServer.StartAsync(transport, _ => EchoProtocol.Instance);
        var client = await server.ConnectAsync();
        await client.Stream.WriteAsync("before"u8.ToArray());
        await client.ReadExactlyAsync(6);

        // A drain longer than the test waits: the stop below can only complete because the client left.
        var stopping = server.Server.StopAsync(TimeSpan.FromSeconds(60));
        var probesConnected = await WaitForRefusalAsync(server.Endpoint);

        // Accepting has stopped, but the open connection still echoes until it leaves of its own accord.
        await client.Stream.WriteAsync("during"u8.ToArray());
        Assert.Equal("during"u8.ToArray(), await client.ReadExactlyAsync(6));
        Assert.False(stopping.IsCompleted);
        await client.ShutdownSendAsync();
        await client.ReadToEndAsync();
        await client.DisposeAsync();

        var summary = await stopping.WaitAsync(TimeSpan.FromSeconds(5));
        // Each refusal probe that connected may have been accepted before the stop took hold (on a loaded machine, more
        // than one: the stop runs on the thread pool); they sent nothing.
        Assert.InRange(summary.ConnectionsServed, 1, 1 + probesConnected);
        Assert.Equal(12, summary.BytesReceived);
        Assert.Equal(12, summary.BytesSent);
        Assert.DoesNotContain(server.Logs.Messages, l => l.Contains("server stopping"));
    }

    [Theory]
    [MemberData(nameof(TransportMatrix.All), MemberType = typeof(TransportMatrix))]
    public async Task Stop_DrainElapses_ClosesConnectionsLeftWithReason(TestTransport transport)
    {
        await using var server = await LoopbackServer.StartAsync(transport, _ => EchoProtocol.Instance);
        await using var client = await server.ConnectAsync();
        await server.Logs.WaitForLineAsync("Now there are total 1 clients.");

        var summary = await server.Server.StopAsync(TimeSpan.FromMilliseconds(300)).WaitAsync(TimeSpan.FromSeconds(10));

        Assert.True(await client.EndsWithinAsync(TimeSpan.FromSeconds(5)));
        Assert.Contains(server.Logs.Messages, l => l.StartsWith("Closing connection", StringComparison.Ordinal) && l.EndsWith(": server stopping", StringComparison.Ordinal));
        Assert.Equal("A client disconnected. Now there are total 0 clients.", server.Logs.Messages[^1]);
        Assert.Equal(1, summary.ConnectionsServed);
        if (server.Endpoint.Scheme == EndpointScheme.Unix)
        {
            Assert.False(File.Exists(server.Endpoint.Path));
        }
    }

    [Fact]
    public async Task Start_PortInUse_ThrowsOneLineNamingTheEndpoint()
    {
        using var occupier = new Socket(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp);
        occupier.Bind(new IPEndPoint(IPAddress.Loopback, 0));
        occupier.Listen();
        var port = ((IPEndPoint)occupier.LocalEndPoint!).Port;

        foreach (var transport in new[] { ServerTransport.Epoll, ServerTransport.Kestrel })
        {
            await using var server = new SockCatServer(_ => EchoProtocol.Instance, new ServerOptions { Transport = transport });
            var error = await Assert.ThrowsAsync<ServerListenException>(() => server.StartAsync([EndpointUrl.Parse($"tcp://127.0.0.1:{port}")]));
            Assert.Equal($"tcp://127.0.0.1:{port} is already in use; stop the other server or pick another port", error.Message);
        }
    }

    [Fact]
    public async Task Start_SeveralListeners_AllServeAndOneFailureBindsNone()
    {
        var path = Path.Combine(Path.GetTempPath(), $"sockcat-test-{Guid.NewGuid():N}.sock");
        await using (var server = new SockCatServer(_ => EchoProtocol.Instance, new ServerOptions { Transport = ServerTransport.Epoll }))
        {
            var bound = await server.StartAsync([EndpointUrl.Parse("tcp://127.0.0.1:0"), EndpointUrl.Parse($"unix://{path}")]);
            Assert.NotEqual(0, bound[0].Port);
            Assert.Equal($"unix://{path}", bound[1].ToString());
            using var tcp = new TcpClient();
            await tcp.ConnectAsync(IPAddress.Loopback, bound[0].Port);
            using var unix = new Socket(AddressFamily.Unix, SocketType.Stream, ProtocolType.Unspecified);
            await unix.ConnectAsync(new UnixDomainSocketEndPoint(path));
            await server.StopAsync(TimeSpan.Zero);
        }

        Assert.False(File.Exists(path));

        // A stale socket file (nothing listening) is replaced; a path in use is an error and leaves the tcp port free.
        // Bound but not listening: connecting is refused, as with the file a crashed server leaves behind. (Disposing a
        // bound socket would delete the file, which is not the case under test.)
        using var stale = new Socket(AddressFamily.Unix, SocketType.Stream, ProtocolType.Unspecified);
        stale.Bind(new UnixDomainSocketEndPoint(path));

        Assert.True(File.Exists(path));
        await using var first = new SockCatServer(_ => EchoProtocol.Instance);
        await first.StartAsync([EndpointUrl.Parse($"unix://{path}")]);
        await using var second = new SockCatServer(_ => EchoProtocol.Instance);
        var error = await Assert.ThrowsAsync<ServerListenException>(() => second.StartAsync([EndpointUrl.Parse("tcp://127.0.0.1:0"), EndpointUrl.Parse($"unix://{path}")]));
        Assert.Equal($"unix://{path} is already in use; stop the other server or pick another path", error.Message);
        await first.StopAsync(TimeSpan.Zero);
    }

    [Fact]
    public async Task Start_MaxConnectionsOverFileLimit_Refused()
    {
        await using var server = new SockCatServer(_ => EchoProtocol.Instance, new ServerOptions { MaxConnections = int.MaxValue });
        var error = await Assert.ThrowsAsync<ArgumentOutOfRangeException>(() => server.StartAsync([EndpointUrl.Parse("tcp://127.0.0.1:0")]));
        Assert.Contains("need more open files than the limit", error.Message);
    }

    [Fact]
    public async Task Post_FromAnotherThread_RunsOnTheConnectionAndWrites()
    {
        foreach (var transport in new[] { TestTransport.EpollTcp, TestTransport.KestrelTcp })
        {
            // The connection's log line comes before its protocol is made, so wait for the factory itself.
            var made = new TaskCompletionSource<IConnection>(TaskCreationOptions.RunContinuationsAsynchronously);
            await using var server = await LoopbackServer.StartAsync(transport, c =>
            {
                made.TrySetResult(c);
                return EchoProtocol.Instance;
            });
            await using var client = await server.ConnectAsync();
            var connection = await made.Task.WaitAsync(TimeSpan.FromSeconds(10));

            var posted = await Task.Run(() => connection.Post((c, state) => c.Write(Encoding.ASCII.GetBytes((string)state!)), "pushed\n"));

            Assert.True(posted);
            Assert.Equal("pushed\n"u8.ToArray(), await client.ReadExactlyAsync(7));
        }
    }

    /// <summary>Connects until refused; returns how many connects succeeded before that.</summary>
    private static async Task<int> WaitForRefusalAsync(EndpointUrl endpoint)
    {
        var deadline = DateTime.UtcNow.AddSeconds(10);
        for (var connected = 0; ; connected++)
        {
            using var probe = endpoint.Scheme == EndpointScheme.Unix
                ? new Socket(AddressFamily.Unix, SocketType.Stream, ProtocolType.Unspecified)
                : new Socket(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp);
            try
            {
                await probe.ConnectAsync(endpoint.Scheme == EndpointScheme.Unix
                    ? new UnixDomainSocketEndPoint(endpoint.Path)
                    : new IPEndPoint(IPAddress.Loopback, endpoint.Port));
            }
            catch (SocketException)
            {
                return connected;
            }

            Assert.True(DateTime.UtcNow < deadline, "The server kept accepting after StopAsync.");
            await Task.Delay(20);
        }
    }
}
