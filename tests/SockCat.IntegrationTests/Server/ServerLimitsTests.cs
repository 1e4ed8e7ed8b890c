using System.Net.Sockets;
using System.Security.Cryptography;
using System.Text;
using SockCat.Server;
using SockCat.Services.Echo;
using SockCat.Testing;

namespace SockCat.IntegrationTests.Server;

public sealed class ServerLimitsTests
{
    [Theory]
    [MemberData(nameof(TransportMatrix.All), MemberType = typeof(TransportMatrix))]
    public async Task Backpressure_ClientWritesWithoutReading_IsThrottledThenEchoedWhole(TestTransport transport)
    {
        await using var server = await LoopbackServer.StartAsync(transport, _ => EchoProtocol.Instance);
        await using var client = await server.ConnectAsync();
        var data = RandomNumberGenerator.GetBytes(50 * 1024 * 1024);

        var writing = client.Stream.WriteAsync(data).AsTask();
        // The server stops reading once its queue for this client is full, so a 50 MB write cannot finish while the
        // client reads nothing: what the server took is bounded by its queue plus the kernel's socket buffers.
        await Settling.WaitUntilStableAsync(() => server.Server.Connections.BytesReceived, "The server kept reading from a client that does not read: no backpressure.");
        Assert.False(writing.IsCompleted);
        var taken = server.Server.Connections.BytesReceived;
        Assert.InRange(taken, 1, 16 * 1024 * 1024);
        Assert.InRange(taken - server.Server.Connections.BytesSent, 0, 2 * ServerOptions.DefaultMaxOutputQueueBytes + 128 * 1024);

        var echoed = await client.ReadExactlyAsync(data.Length, TimeSpan.FromSeconds(30));
        await writing;
        Assert.Equal(SHA256.HashData(data), SHA256.HashData(echoed));
    }

    [Theory]
    [MemberData(nameof(TransportMatrix.All), MemberType = typeof(TransportMatrix))]
    public async Task OutboundQueue_PeerNeverReads_DisconnectedWithReason(TestTransport transport)
    {
        await using var server = await LoopbackServer.StartAsync(transport, _ => new FloodProtocol());
        await using var client = await server.ConnectAsync();

        // One byte asks for 32 MiB (more than loopback's socket buffers absorb): far more than twice the 256 KiB bound can hold for a peer that does not read.
        await client.Stream.WriteAsync(new byte[] { 1 });
        await server.Logs.WaitForAsync(m => m.Any(l => l.Contains("queued for a peer that is not reading")), what: "the disconnect reason");

        Assert.Contains("A client disconnected. Now there are total 0 clients.", server.Logs.Messages);
        Assert.True(await client.EndsWithinAsync(TimeSpan.FromSeconds(10)));
    }

    [Theory]
    [MemberData(nameof(TransportMatrix.All), MemberType = typeof(TransportMatrix))]
    public async Task MaxConnections_OneOverTheLimit_ToldWhyAndClosed(TestTransport transport)
    {
        await using var server = await LoopbackServer.StartAsync(transport, _ => EchoProtocol.Instance, o => o.MaxConnections = 2);
        await using var first = await server.ConnectAsync();
        await using var second = await server.ConnectAsync();
        await server.Logs.WaitForLineAsync("Now there are total 2 clients.");

        await using var third = await server.ConnectAsync();
        var line = Encoding.UTF8.GetString(await third.ReadToEndAsync());

        Assert.Equal("sockcat: server full (2 connections); try again later\n", line);
        await server.Logs.WaitForAsync(m => m.Any(l => l.StartsWith("Refused connection from", StringComparison.Ordinal) && l.EndsWith("server full (2 connections)", StringComparison.Ordinal)));
        Assert.Equal(2, server.Server.Connections.Count);

        // The limit counts open connections: when one leaves, a new one is served.
        await first.DisposeAsync();
        await server.Logs.WaitForLineAsync("A client disconnected. Now there are total 1 clients.");
        await using var fourth = await server.ConnectAsync();
        await fourth.Stream.WriteAsync("ok"u8.ToArray());
        Assert.Equal("ok"u8.ToArray(), await fourth.ReadExactlyAsync(2));
    }

    [Theory]
    [MemberData(nameof(TransportMatrix.All), MemberType = typeof(TransportMatrix))]
    public async Task IdleTimeout_NoTraffic_ConnectionClosedWithReason(TestTransport transport)
    {
        // 2 s, not 1: on Kestrel the idle clock restarts when the pipeline reads, and with three test assemblies on two
        // cores the thread pool once stalled the busy client's reads for a second, so the sweep closed it too.
        await using var server = await LoopbackServer.StartAsync(transport, _ => EchoProtocol.Instance, o => o.IdleTimeout = TimeSpan.FromSeconds(2));
        await using var busy = await server.ConnectAsync();
        // One round trip first, so the first call's JIT on a busy machine does not count as idleness.
        await busy.Stream.WriteAsync(new byte[] { 255 });
        await busy.ReadExactlyAsync(1);
        await using var idle = await server.ConnectAsync();

        // The busy client keeps talking past the timeout and stays; the idle one is closed.
        var ended = idle.EndsWithinAsync(TimeSpan.FromSeconds(10));
        var watch = System.Diagnostics.Stopwatch.StartNew();
        for (var i = 0; watch.Elapsed < TimeSpan.FromSeconds(3); i++)
        {
            await busy.Stream.WriteAsync(new byte[] { (byte)i });
            Assert.Equal((byte)i, (await busy.ReadExactlyAsync(1))[0]);
            await Task.Delay(100);
        }

        Assert.True(await ended);
        // The client can see its end before the server's side has finished closing and logged it.
        await server.Logs.WaitForLineAsync("A client disconnected. Now there are total 1 clients.");
        Assert.Contains(server.Logs.Messages, l => l.EndsWith("idle for 2 s (idle timeout)", StringComparison.Ordinal));
        Assert.Equal(1, server.Server.Connections.Count);
    }

    [Theory]
    [MemberData(nameof(TransportMatrix.Ip), MemberType = typeof(TransportMatrix))]
    public async Task AcceptFilter_Denied_ClosedBeforeAnyByteIsRead(TestTransport transport)
    {
        var protocolsMade = 0;
        await using var server = await LoopbackServer.StartAsync(
            transport,
            _ =>
            {
                Interlocked.Increment(ref protocolsMade);
                return EchoProtocol.Instance;
            },
            o => o.AcceptFilter = _ => false);

        // A TLS client cannot even finish its handshake: the connection is closed before TLS starts.
        // The reset can come so soon that it is the connect itself that reports it.
        using var socket = new Socket(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp);
        try
        {
            await socket.ConnectAsync(System.Net.IPAddress.Loopback, server.Endpoint.Port);
            await using var client = new TestClient(socket, new NetworkStream(socket, ownsSocket: false));
            await client.Stream.WriteAsync("hello"u8.ToArray());
            Assert.True(await client.EndsWithinAsync(TimeSpan.FromSeconds(5)));
        }
        catch (Exception e) when (e is IOException or SocketException { SocketErrorCode: SocketError.ConnectionReset })
        {
        }

        await server.Logs.WaitForAsync(m => m.Any(l => l.StartsWith("Denied connection from 127.0.0.1:", StringComparison.Ordinal)));
        Assert.Equal(0, protocolsMade);
        Assert.Equal(0, server.Server.Connections.TotalAccepted);
        Assert.DoesNotContain(server.Logs.Messages, l => l.StartsWith("Connection accepted", StringComparison.Ordinal));
    }

    /// <summary>Answers each byte with 32 MiB: a server-side writer outrunning a peer that never reads.</summary>
    private sealed class FloodProtocol : IConnectionProtocol
    {
        private static readonly byte[] Block = new byte[64 * 1024];

        public int OnReceived(IConnection connection, ReadOnlySpan<byte> data)
        {
            for (var i = 0; i < 512 * data.Length; i++)
            {
                connection.Write(Block);
            }

            return data.Length;
        }
    }
}
