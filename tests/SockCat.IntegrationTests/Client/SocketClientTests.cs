using System.Buffers;
using System.Net;
using System.Net.Sockets;
using SockCat.Client;
using SockCat.Endpoints;

namespace SockCat.IntegrationTests.Client;

public sealed class SocketClientTests
{
    [Fact]
    public async Task ConnectAsync_Tcp_SendsHalfClosesAndReadsTheReplyAfterIt()
    {
        using var cts = new CancellationTokenSource(LoopbackPeers.TestTimeout);
        using var listener = new TcpListener(IPAddress.Loopback, 0);
        listener.Start();
        var port = ((IPEndPoint)listener.LocalEndpoint).Port;
        var sent = Enumerable.Range(0, 256).Select(i => (byte)i).ToArray();
        var reply = "after your FIN\n"u8.ToArray();
        var server = Task.Run(async () =>
        {
            using var client = await listener.AcceptTcpClientAsync(cts.Token);
            return await LoopbackPeers.ReadToEndThenReplyAsync(client.GetStream(), reply, cts.Token);
        });

        await using var connection = await SocketClient.ConnectAsync(EndpointUrl.Parse($"tcp://127.0.0.1:{port}"), cancellationToken: cts.Token);
        await connection.Stream.WriteAsync(sent, cts.Token);
        await connection.ShutdownSendAsync(cts.Token);
        var received = new MemoryStream();
        await connection.Stream.CopyToAsync(received, cts.Token);

        Assert.Equal(sent, await server);
        Assert.Equal(reply, received.ToArray());
        Assert.Equal(new IPEndPoint(IPAddress.Loopback, port), connection.RemoteEndPoint);
        Assert.Equal(IPAddress.Loopback, ((IPEndPoint)connection.LocalEndPoint!).Address);
        Assert.False(connection.IsDatagram);
    }

    [Fact]
    public async Task ConnectAsync_Unix_PipeCarriesBytesBothWays()
    {
        using var cts = new CancellationTokenSource(LoopbackPeers.TestTimeout);
        var path = Path.Combine(Path.GetTempPath(), $"sockcat-client-{Guid.NewGuid():N}.sock");
        using var listener = new Socket(AddressFamily.Unix, SocketType.Stream, ProtocolType.Unspecified);
        listener.Bind(new UnixDomainSocketEndPoint(path));
        listener.Listen(1);
        try
        {
            var server = Task.Run(async () =>
            {
                using var accepted = await listener.AcceptAsync(cts.Token);
                await using var stream = new NetworkStream(accepted, ownsSocket: false);
                return await LoopbackPeers.ReadToEndThenReplyAsync(stream, "pong"u8.ToArray(), cts.Token);
            });

            await using var connection = await SocketClient.ConnectAsync(EndpointUrl.Parse($"unix://{path}"), cancellationToken: cts.Token);
            await connection.Pipe.Output.WriteAsync("ping"u8.ToArray(), cts.Token);
            await connection.ShutdownSendAsync(cts.Token);

            var reply = new List<byte>();
            while (true)
            {
                var result = await connection.Pipe.Input.ReadAsync(cts.Token);
                reply.AddRange(result.Buffer.ToArray());
                connection.Pipe.Input.AdvanceTo(result.Buffer.End);
                if (result.IsCompleted)
                {
                    break;
                }
            }

            Assert.Equal("ping"u8.ToArray(), await server);
            Assert.Equal("pong"u8.ToArray(), reply.ToArray());
            Assert.Equal(path, connection.RemoteEndPoint!.ToString());
        }
        finally
        {
            File.Delete(path);
        }
    }

    [Fact]
    public async Task ConnectAsync_Udp_SendsAndReceivesWholeDatagrams()
    {
        using var cts = new CancellationTokenSource(LoopbackPeers.TestTimeout);
        using var echo = new UdpClient(new IPEndPoint(IPAddress.Loopback, 0));
        var port = ((IPEndPoint)echo.Client.LocalEndPoint!).Port;
        var server = Task.Run(async () =>
        {
            for (var i = 0; i < 2; i++)
            {
                var datagram = await echo.ReceiveAsync(cts.Token);
                await echo.SendAsync(datagram.Buffer.Reverse().ToArray(), datagram.RemoteEndPoint, cts.Token);
            }
        });

        await using var connection = await SocketClient.ConnectAsync(EndpointUrl.Parse($"udp://127.0.0.1:{port}"), cancellationToken: cts.Token);
        Assert.True(connection.IsDatagram);
        Assert.Throws<InvalidOperationException>(() => connection.Pipe);
        var buffer = new byte[65_536];

        await connection.SendDatagramAsync("abc"u8.ToArray(), cts.Token);
        var first = await connection.ReceiveDatagramAsync(buffer, cts.Token);
        Assert.Equal("cba"u8.ToArray(), buffer[..first]);

        // Through the Stream, one write is one datagram and one read returns one.
        await connection.Stream.WriteAsync("12345"u8.ToArray(), cts.Token);
        var second = await connection.Stream.ReadAsync(buffer, cts.Token);
        Assert.Equal("54321"u8.ToArray(), buffer[..second]);
        await server;
    }

    [Fact]
    public async Task ConnectAsync_UdpToAClosedPort_ReceiveReportsConnectionRefused()
    {
        using var cts = new CancellationTokenSource(LoopbackPeers.TestTimeout);
        int port;
        using (var probe = new UdpClient(new IPEndPoint(IPAddress.Loopback, 0)))
        {
            port = ((IPEndPoint)probe.Client.LocalEndPoint!).Port;
        }

        await using var connection = await SocketClient.ConnectAsync(EndpointUrl.Parse($"udp://127.0.0.1:{port}"), cancellationToken: cts.Token);
        await connection.SendDatagramAsync("anyone?"u8.ToArray(), cts.Token);
        var ex = await Assert.ThrowsAsync<SocketException>(async () => await connection.ReceiveDatagramAsync(new byte[64], cts.Token));
        Assert.Equal(SocketError.ConnectionRefused, ex.SocketErrorCode);
    }

    [Fact]
    public async Task ConnectAsync_NameWithSeveralAddresses_TriesEachUntilOneAnswers()
    {
        using var cts = new CancellationTokenSource(LoopbackPeers.TestTimeout);
        using var listener = new TcpListener(IPAddress.Loopback, 0);
        listener.Start();
        var port = ((IPEndPoint)listener.LocalEndpoint).Port;
        var accept = listener.AcceptSocketAsync(cts.Token);
        // 127.0.0.2 is loopback too, and nothing listens there on this port: refused, then the next address is tried.
        IPAddress[] addresses = [IPAddress.Parse("127.0.0.2"), IPAddress.Loopback];

        await using var connection = await SocketClient.ConnectWithResolverAsync(
            EndpointUrl.Parse($"tcp://several.test:{port}"), null, (_, _) => Task.FromResult(addresses), cts.Token);

        Assert.Equal(new IPEndPoint(IPAddress.Loopback, port), connection.RemoteEndPoint);
        using var accepted = await accept;
    }

    [Fact]
    public async Task ConnectAsync_EveryAddressRefuses_ReportsTheNameAndEachAddressTried()
    {
        var port = LoopbackPeers.ReleasedPort();
        IPAddress[] addresses = [IPAddress.Parse("127.0.0.2"), IPAddress.Loopback];

        var ex = await Assert.ThrowsAsync<ConnectException>(() => SocketClient.ConnectWithResolverAsync(
            EndpointUrl.Parse($"tcp://several.test:{port}"), null, (_, _) => Task.FromResult(addresses), CancellationToken.None));

        Assert.Equal(ConnectFailure.Refused, ex.Failure);
        Assert.Equal($"connection refused by several.test:{port}, tried 127.0.0.2 and 127.0.0.1 (ECONNREFUSED)", ex.Message);
    }

    [Fact]
    public async Task ConnectAsync_PortZeroOrBrowserScheme_IsAnArgumentError()
    {
        await Assert.ThrowsAsync<ArgumentException>(() => SocketClient.ConnectAsync(EndpointUrl.Parse("tcp://127.0.0.1:0")));
        await Assert.ThrowsAsync<ArgumentException>(() => SocketClient.ConnectAsync(EndpointUrl.Parse("http://127.0.0.1:8080/")));
        await Assert.ThrowsAsync<ArgumentException>(() => SocketClient.ConnectAsync(
            EndpointUrl.Parse("tls://127.0.0.1:443"), new ConnectOptions { CertificateFingerprint = "not-hex" }));
    }
}
