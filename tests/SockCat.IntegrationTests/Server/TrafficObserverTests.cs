using System.Collections.Concurrent;
using System.Security.Cryptography;
using SockCat.Server;
using SockCat.Services.Echo;
using SockCat.Streams;
using SockCat.Testing;

namespace SockCat.IntegrationTests.Server;

/// <summary>
/// <see cref="ServerOptions.TrafficObserver"/> on every transport: each chunk both ways, on the connection it moved on,
/// with offsets that add up to that direction's stream; an observer that throws is logged and the connection goes on.
/// </summary>
public sealed class TrafficObserverTests
{
    private static readonly TimeSpan Timeout = TimeSpan.FromSeconds(30);

    [Theory]
    [MemberData(nameof(TransportMatrix.All), MemberType = typeof(TransportMatrix))]
    public async Task Echo_Observer_SeesBothStreamsWhole_WithOffsetsAndTheConnection(TestTransport transport)
    {
        var observer = new Recorder();
        var request = RandomNumberGenerator.GetBytes(300 * 1024 + 7);
        await using var server = await LoopbackServer.StartAsync(transport, _ => EchoProtocol.Instance, o => o.TrafficObserver = observer);
        await using var client = await server.ConnectAsync();

        var reading = client.ReadToEndAsync(Timeout);
        await client.Stream.WriteAsync(request);
        await client.ShutdownSendAsync();
        Assert.Equal(request, await reading);

        // The client saw the server's end after the server's last send, and the observer is told of a send on that same
        // thread before it goes on: nothing more will come for this connection.
        var chunks = observer.Chunks.ToList();
        Assert.Single(chunks.Select(c => c.Connection).Distinct());
        Assert.All(chunks, c => Assert.True(c.Connection.Id > 0));
        foreach (var direction in new[] { TrafficDirection.Received, TrafficDirection.Sent })
        {
            var stream = chunks.Where(c => c.Direction == direction).ToList();
            long expected = 0;
            foreach (var chunk in stream)
            {
                Assert.Equal(expected, chunk.Offset);
                expected += chunk.Data.Length;
            }

            Assert.Equal(request, stream.SelectMany(c => c.Data).ToArray());
        }

        if (transport is not (TestTransport.EpollUnix or TestTransport.KestrelUnix or TestTransport.KestrelEpollUnix))
        {
            Assert.Equal(client.LocalEndPoint, chunks[0].Connection.RemoteEndPoint);
        }
    }

    [Theory]
    [MemberData(nameof(TransportMatrix.All), MemberType = typeof(TransportMatrix))]
    public async Task Echo_ObserverThrows_Logged_EchoGoesOn(TestTransport transport)
    {
        await using var server = await LoopbackServer.StartAsync(transport, _ => EchoProtocol.Instance, o => o.TrafficObserver = new Thrower());
        server.Logs.AllowError("TrafficObserverFailed");
        await using var client = await server.ConnectAsync();

        var reading = client.ReadToEndAsync(Timeout);
        await client.Stream.WriteAsync("ping\n"u8.ToArray());
        await client.ShutdownSendAsync();

        Assert.Equal("ping\n"u8.ToArray(), await reading);
        Assert.Contains(server.Logs.Lines, l => l.EventName == "TrafficObserverFailed");
    }

    private sealed class Recorder : IConnectionTrafficObserver
    {
        public ConcurrentQueue<(IConnection Connection, TrafficDirection Direction, long Offset, byte[] Data)> Chunks { get; } = new();

        public void OnTraffic(IConnection connection, TrafficDirection direction, long offset, ReadOnlySpan<byte> data) =>
            Chunks.Enqueue((connection, direction, offset, data.ToArray()));
    }

    private sealed class Thrower : IConnectionTrafficObserver
    {
        public void OnTraffic(IConnection connection, TrafficDirection direction, long offset, ReadOnlySpan<byte> data) =>
            throw new InvalidOperationException("observer failed");
    }
}
