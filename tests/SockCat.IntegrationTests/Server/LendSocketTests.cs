using System.Net.Sockets;
using System.Security.Cryptography;
using System.Text;
using SockCat.Server;
using SockCat.Testing;

namespace SockCat.IntegrationTests.Server;

/// <summary>
/// <see cref="IConnection.LendSocket"/>: the borrower writes into the peer's socket itself, blocking when the peer does
/// not read, while the connection goes on reading the peer (without ever waiting in the loop) and ends the output when
/// asked; transports whose connections are not plain sockets of their own say they cannot.
/// </summary>
public sealed class LendSocketTests
{
    private static readonly TimeSpan Timeout = TimeSpan.FromSeconds(30);

    public static TheoryData<TestTransport> Epoll => [TestTransport.EpollTcp, TestTransport.EpollUnix];

    public static TheoryData<TestTransport> NotPlain => [TestTransport.KestrelTcp, TestTransport.KestrelTls, TestTransport.KestrelEpollTcp, TestTransport.EpollTls];

    [Theory]
    [MemberData(nameof(Epoll))]
    public async Task LendSocket_BorrowerWritesMoreThanTheBuffersHold_PeerGetsItAllInOrder_PeersBytesStillReachTheProtocol(TestTransport transport)
    {
        // 8 MiB to a peer that reads nothing for a while: the borrower's blocking writes wait for it (a nonblocking socket
        // would fail them with EAGAIN), and meanwhile the peer's own bytes reach OnReceived through the loop.
        var data = RandomNumberGenerator.GetBytes(8 * 1024 * 1024);
        var heard = new StringBuilder();
        var heardHello = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        var probe = new ProbeProtocol((_, bytes) =>
        {
            lock (heard)
            {
                heard.Append(Encoding.ASCII.GetString(bytes));
                if (heard.ToString() == "hello")
                {
                    heardHello.TrySetResult();
                }
            }
        });
        await using var server = await LoopbackServer.StartAsync(transport, _ => probe);
        await using var client = await server.ConnectAsync();
        var connection = await probe.Connected.Task.WaitAsync(Timeout);
        var lent = await OnLoopAsync(connection, c => c.LendSocket());

        var borrower = Task.Run(() =>
        {
            using (lent)
            using (var socket = new Socket(new SafeSocketHandle(lent.DangerousGetHandle(), ownsHandle: false)))
            {
                Assert.True(socket.Blocking);
                socket.Send(data);
            }
        });
        await Task.Delay(300);
        Assert.False(borrower.IsCompleted);   // held back by the peer, not failed
        await client.Stream.WriteAsync("hello"u8.ToArray());
        await heardHello.Task.WaitAsync(Timeout);

        var received = await client.ReadExactlyAsync(data.Length, Timeout);
        await borrower.WaitAsync(Timeout);
        Assert.Equal(data, received);

        await OnLoopAsync(connection, c =>
        {
            c.ShutdownSend();
            return 0;
        });
        Assert.Empty(await client.ReadToEndAsync(Timeout));
    }

    [Theory]
    [MemberData(nameof(NotPlain))]
    public async Task LendSocket_ConnectionNotAPlainSocketOfItsOwn_NotSupported(TestTransport transport)
    {
        var probe = new ProbeProtocol();
        await using var server = await LoopbackServer.StartAsync(transport, _ => probe);
        await using var client = await server.ConnectAsync();
        var connection = await probe.Connected.Task.WaitAsync(Timeout);
        await Assert.ThrowsAsync<NotSupportedException>(() => OnLoopAsync(connection, c => c.LendSocket()));
    }

    /// <summary>Runs <paramref name="call"/> on the connection's thread (a posted callback), with its result or exception.</summary>
    private static Task<T> OnLoopAsync<T>(IConnection connection, Func<IConnection, T> call)
    {
        var done = new TaskCompletionSource<T>(TaskCreationOptions.RunContinuationsAsynchronously);
        connection.Post(
            (c, _) =>
            {
                try
                {
                    done.TrySetResult(call(c));
                }
                catch (Exception e)
                {
                    done.TrySetException(e);
                }
            },
            null);
        return done.Task.WaitAsync(Timeout);
    }
}
