using System.Net;
using System.Security.Cryptography;
using SockCat.Services.Echo;
using SockCat.Testing;

namespace SockCat.IntegrationTests.Server;

public sealed class EchoServerTests
{
    [Theory]
    [MemberData(nameof(TransportMatrix.All), MemberType = typeof(TransportMatrix))]
    public async Task Echo_ManyConcurrentConnections_EveryByteVerified(TestTransport transport)
    {
        await using var server = await LoopbackServer.StartAsync(transport, _ => EchoProtocol.Instance);
        const int connections = 16;
        const int size = 512 * 1024;

        var results = await Task.WhenAll(Enumerable.Range(0, connections).Select(async i =>
        {
            var data = RandomNumberGenerator.GetBytes(size + i);
            await using var client = await server.ConnectAsync();
            var reading = client.ReadExactlyAsync(data.Length);
            // Written in uneven pieces so frames split and coalesce differently on every connection.
            for (var offset = 0; offset < data.Length;)
            {
                var n = Math.Min(data.Length - offset, 1000 + (offset % 70_000));
                await client.Stream.WriteAsync(data.AsMemory(offset, n));
                offset += n;
            }

            return (Sent: SHA256.HashData(data), Received: SHA256.HashData(await reading));
        }));

        Assert.All(results, r => Assert.Equal(Convert.ToHexString(r.Sent), Convert.ToHexString(r.Received)));
    }

    [Theory]
    [MemberData(nameof(TransportMatrix.All), MemberType = typeof(TransportMatrix))]
    public async Task Echo_ClientHalfCloses_ReadsWholeEchoThenServerFin(TestTransport transport)
    {
        await using var server = await LoopbackServer.StartAsync(transport, _ => EchoProtocol.Instance);
        await using var client = await server.ConnectAsync();
        var data = RandomNumberGenerator.GetBytes(300_000);

        await client.Stream.WriteAsync(data);
        await client.ShutdownSendAsync();
        // Everything sent before the FIN comes back, then the server's own FIN ends the stream.
        var echoed = await client.ReadToEndAsync();

        Assert.Equal(SHA256.HashData(data), SHA256.HashData(echoed));
        await server.Logs.WaitForLineAsync("A client disconnected. Now there are total 0 clients.");
    }

    [Theory]
    [MemberData(nameof(TransportMatrix.All), MemberType = typeof(TransportMatrix))]
    public async Task Echo_ClientsComeAndGo_LogsTheSeedsLinesWithCounts(TestTransport transport)
    {
        await using var server = await LoopbackServer.StartAsync(transport, _ => EchoProtocol.Instance);
        var clients = new List<TestClient>();
        var expected = new List<string>();
        for (var i = 1; i <= 3; i++)
        {
            var client = await server.ConnectAsync();
            clients.Add(client);
            expected.Add($"Connection accepted from {PeerText(server, client)}");
            expected.Add($"Now there are total {i} clients.");
            await server.Logs.WaitForLineAsync($"Now there are total {i} clients.");
        }

        for (var i = 2; i >= 0; i--)
        {
            await clients[i].DisposeAsync();
            expected.Add($"A client disconnected. Now there are total {i} clients.");
            await server.Logs.WaitForLineAsync($"A client disconnected. Now there are total {i} clients.");
        }

        Assert.Equal(expected, server.Logs.Messages);
        Assert.Equal(0, server.Server.Connections.Count);
        Assert.Equal(3, server.Server.Connections.TotalAccepted);
    }

    [Theory]
    [MemberData(nameof(TransportMatrix.All), MemberType = typeof(TransportMatrix))]
    public async Task Registry_OpenConnection_ReportsPeerAndBytes(TestTransport transport)
    {
        await using var server = await LoopbackServer.StartAsync(transport, _ => EchoProtocol.Instance);
        await using var client = await server.ConnectAsync();
        await client.Stream.WriteAsync(new byte[1000]);
        await client.ReadExactlyAsync(1000);

        // The counters are updated by the connection's own thread after each send and read without a lock, so a
        // snapshot may trail the bytes by a moment: poll with a deadline.
        var deadline = DateTime.UtcNow.AddSeconds(5);
        var info = Assert.Single(server.Server.Connections.GetSnapshot());
        while ((info.BytesReceived != 1000 || info.BytesSent != 1000) && DateTime.UtcNow < deadline)
        {
            await Task.Delay(10);
            info = Assert.Single(server.Server.Connections.GetSnapshot());
        }

        Assert.Equal(PeerText(server, client), info.Peer);
        Assert.Equal(1000, info.BytesReceived);
        Assert.Equal(1000, info.BytesSent);
        Assert.Equal(server.Endpoint, info.Listener);
        Assert.InRange(info.ConnectedAt, DateTimeOffset.UtcNow.AddMinutes(-1), DateTimeOffset.UtcNow.AddSeconds(1));
    }

    /// <summary>The peer as the log names it: ip:port, or for unix sockets the process on the epoll loop (SO_PEERCRED).</summary>
    internal static string PeerText(LoopbackServer server, TestClient client) => server.Transport switch
    {
        TestTransport.EpollUnix => $"pid {Environment.ProcessId} on {server.Endpoint}",
        // Kestrel's ConnectionContext carries an endpoint, not the peer's credentials.
        TestTransport.KestrelUnix or TestTransport.KestrelEpollUnix => server.Endpoint.ToString(),
        _ => ((IPEndPoint)client.LocalEndPoint!).ToString(),
    };
}
