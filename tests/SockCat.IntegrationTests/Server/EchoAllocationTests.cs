using SockCat.Server;
using SockCat.Services.Echo;
using SockCat.Testing;

namespace SockCat.IntegrationTests.Server;

public sealed class EchoAllocationTests
{
    [Fact]
    public async Task EpollEcho_SteadyPingPong_AllocatesNothingPerMessageOnTheLoopThread()
    {
        var connected = new TaskCompletionSource<IConnection>(TaskCreationOptions.RunContinuationsAsynchronously);
        await using var server = await LoopbackServer.StartAsync(
            TestTransport.EpollTcp, _ => new CapturingEcho(connected), o => o.IdleTimeout = TimeSpan.FromMinutes(5));
        await using var client = await server.ConnectAsync();
        using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(30));
        var connection = await connected.Task.WaitAsync(timeout.Token);

        var message = new byte[32];
        var echo = new byte[32];
        void PingPong(int count)
        {
            client.Socket.ReceiveTimeout = 10_000;
            for (var i = 0; i < count; i++)
            {
                message[0] = (byte)i;
                client.Socket.Send(message);
                for (var got = 0; got < echo.Length;)
                {
                    var n = client.Socket.Receive(echo, got, echo.Length - got, System.Net.Sockets.SocketFlags.None);
                    Assert.True(n > 0, "the server closed the connection");
                    got += n;
                }

                Assert.Equal(message, echo);
            }
        }

        // Warm-up: first calls allocate (JIT, lazily created state); steady state is what is measured.
        PingPong(2_000);
        var before = await LoopThreadAllocatedBytesAsync(connection, timeout.Token);
        const int messages = 20_000;
        PingPong(messages);
        var after = await LoopThreadAllocatedBytesAsync(connection, timeout.Token);

        // The only allocations allowed between the two readings are the first reading's own completion (a few hundred
        // bytes at most); one allocation per message would be at least 24 bytes each, 480,000 in all.
        Assert.InRange(after - before, 0, 2_048);
    }

    private static async Task<long> LoopThreadAllocatedBytesAsync(IConnection connection, CancellationToken cancellationToken)
    {
        var result = new TaskCompletionSource<long>(TaskCreationOptions.RunContinuationsAsynchronously);
        Assert.True(connection.Post((_, state) => ((TaskCompletionSource<long>)state!).TrySetResult(GC.GetAllocatedBytesForCurrentThread()), result));
        return await result.Task.WaitAsync(cancellationToken);
    }

    private sealed class CapturingEcho(TaskCompletionSource<IConnection> connected) : IConnectionProtocol
    {
        public void OnConnected(IConnection connection) => connected.TrySetResult(connection);

        public int OnReceived(IConnection connection, ReadOnlySpan<byte> data) => EchoProtocol.Instance.OnReceived(connection, data);
    }
}
