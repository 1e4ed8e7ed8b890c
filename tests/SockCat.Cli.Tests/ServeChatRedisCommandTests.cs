using System.Net;
using System.Net.Sockets;
using System.Text;
using SockCat.Cli;
using SockCat.Redis.Tests;
using SockCat.Testing;

namespace SockCat.Cli.Tests;

public sealed class ServeChatRedisCommandTests
{
    [Theory]
    [InlineData("http://127.0.0.1:6379", "is not a Redis address")]
    [InlineData("redis://127.0.0.1:notaport", "has no valid port")]
    public async Task ServeChat_BadRedisAddress_UsageInOneLine(string redis, string said)
    {
        var result = await CliRun.InvokeAsync("serve", "chat", "tcp://127.0.0.1:0", "--redis", redis);

        Assert.Equal(ExitCodes.Usage, result.ExitCode);
        Assert.StartsWith("sockcat: --redis: ", result.Error);
        Assert.Contains(said, result.Error);
        Assert.Single(result.Error.TrimEnd('\n').Split('\n'));
    }

    [Fact]
    public async Task ServeChat_NoRedisThere_ConnectFailedInOneLine()
    {
        var port = LoopbackPorts.Unused();

        var result = await CliRun.InvokeAsync("serve", "chat", "tcp://127.0.0.1:0", "--redis", $"redis://127.0.0.1:{port}");

        Assert.Equal(ExitCodes.ConnectFailed, result.ExitCode);
        Assert.Equal($"sockcat: cannot reach Redis at 127.0.0.1:{port}; start redis-server there, or point --redis at a running one\n", result.Error);
    }

    [Fact]
    public async Task ServeChat_TwoNodesOnOneRedis_RoomAndPrivateMessagesCross_StopReleasesNicks()
    {
        await using var redis = await RedisServer.StartAsync();
        using var stop = new CancellationTokenSource();
        var (runOne, errorOne) = CliRun.Start(new MemoryStream(), stop.Token, "serve", "chat", "tcp://127.0.0.1:0", "--redis", redis.Url);
        var (runTwo, errorTwo) = CliRun.Start(new MemoryStream(), stop.Token, "serve", "chat", "tcp://127.0.0.1:0", "--redis", redis.Url);
        using var alice = await ConnectAsync(await CliRun.WaitForListeningPortAsync(errorOne, runOne));
        using var bob = await ConnectAsync(await CliRun.WaitForListeningPortAsync(errorTwo, runTwo));
        Assert.Contains($"joined through Redis at {redis.Url}", errorOne.Text);

        await alice.SendAsync("/nick alice\n/join lobby\n"u8.ToArray());
        await ReadUntilAsync(alice, "*** in #lobby (1): @alice\n");
        // Node one listens to the room a moment after the join (off its loop): bob's join before that would not reach alice.
        await WaitForRoomListenersAsync(redis, 1);

        await bob.SendAsync("/nick bob\n/join lobby\n"u8.ToArray());
        await ReadUntilAsync(alice, "[#lobby] *** bob joined\n");
        // The same for node two: alice's line before it listens would not reach bob.
        await WaitForRoomListenersAsync(redis, 2);
        await alice.SendAsync("hello\n/msg bob psst\n"u8.ToArray());
        await ReadUntilAsync(bob, "[#lobby] <alice> hello\n");
        await ReadUntilAsync(bob, "[pm] <alice> psst\n");

        stop.Cancel();
        Assert.Equal(ExitCodes.Success, (await runOne).ExitCode);
        Assert.Equal(ExitCodes.Success, (await runTwo).ExitCode);
        Assert.Equal("", await redis.CliAsync("keys", "sockcat:chat:nick:*"));
    }

    private static async Task WaitForRoomListenersAsync(RedisServer redis, int nodes)
    {
        using var cts = new CancellationTokenSource(CliRun.TestTimeout);
        while (!(await redis.CliAsync("pubsub", "numsub", "sockcat:chat:room:#lobby")).EndsWith($"\n{nodes}", StringComparison.Ordinal))
        {
            await Task.Delay(20, cts.Token);
        }
    }

    private static async Task<Socket> ConnectAsync(int port)
    {
        var socket = new Socket(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp);
        await socket.ConnectAsync(new IPEndPoint(IPAddress.Loopback, port));
        return socket;
    }

    private static async Task ReadUntilAsync(Socket socket, string end)
    {
        using var timeout = new CancellationTokenSource(CliRun.TestTimeout);
        var received = new StringBuilder();
        var one = new byte[1];
        while (!received.ToString().EndsWith(end, StringComparison.Ordinal))
        {
            var n = await socket.ReceiveAsync(one, timeout.Token);
            Assert.True(n != 0, $"the server closed the connection; read so far:\n{received}");
            received.Append((char)one[0]);
        }
    }
}
