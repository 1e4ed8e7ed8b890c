using System.Diagnostics;
using System.Globalization;
using System.Net.Sockets;
using System.Text;
using SockCat.IntegrationTests.Seed;
using SockCat.Server;
using SockCat.Services.Broker;
using SockCat.Testing;

namespace SockCat.IntegrationTests.Services;

public sealed class BrokerServerTests
{
    [Theory]
    [MemberData(nameof(TransportMatrix.All), MemberType = typeof(TransportMatrix))]
    public async Task Broker_SeveralClients_EachGetsEveryOtherClientsLinesInOrder(TestTransport transport)
    {
        var hub = new BrokerHub();
        await using var server = await LoopbackServer.StartAsync(transport, hub.CreateProtocol);
        const int clients = 5;
        const int lines = 200;
        var connected = new List<TestClient>();
        for (var i = 0; i < clients; i++)
        {
            connected.Add(await server.ConnectAsync());
        }

        // Every member is in the room before the first line, so each must get exactly the others' lines.
        await WaitForMembersAsync(hub, clients);
        var lineLength = Line(0, 0).Length;
        var reads = connected.Select(c => c.ReadExactlyAsync((clients - 1) * lines * lineLength, TimeSpan.FromSeconds(30))).ToList();
        await Task.WhenAll(connected.Select(async (c, sender) =>
        {
            for (var n = 0; n < lines; n++)
            {
                // One write per line, some CRLF: every receiver sees lines as they were sent.
                await c.Stream.WriteAsync(Encoding.ASCII.GetBytes(Line(sender, n)));
            }
        }));

        for (var receiver = 0; receiver < clients; receiver++)
        {
            var received = Encoding.ASCII.GetString(await reads[receiver]);
            AssertEveryLineOnce(received, clients, lines, except: receiver);
        }

        foreach (var c in connected)
        {
            await c.DisposeAsync();
        }
    }

    [Theory]
    [MemberData(nameof(TransportMatrix.All), MemberType = typeof(TransportMatrix))]
    public async Task Broker_TooLongLine_SenderToldInOneLine_OthersGetOnlyTheGoodLines(TestTransport transport)
    {
        var hub = new BrokerHub(new BrokerOptions { MaxLineLength = 1000 });
        await using var server = await LoopbackServer.StartAsync(transport, hub.CreateProtocol);
        await using var sender = await server.ConnectAsync();
        await using var listener = await server.ConnectAsync();
        await WaitForMembersAsync(hub, 2);

        await sender.Stream.WriteAsync(Encoding.ASCII.GetBytes("before\n" + new string('x', 100_000) + "\nafter\n"));
        await sender.ShutdownSendAsync();
        Assert.Equal("sockcat: line longer than 1000 bytes not relayed; send shorter lines\n", Encoding.ASCII.GetString(await sender.ReadToEndAsync()));
        Assert.Equal("before\nafter\n", Encoding.ASCII.GetString(await listener.ReadExactlyAsync(13)));
    }

    [Theory]
    [InlineData(TestTransport.EpollTcp)]
    [InlineData(TestTransport.EpollUnix)]
    public async Task Broker_ClientStopsReading_IsCutWithAReason_OthersGetEveryLine(TestTransport transport)
    {
        // The Kestrel path's posts are not bounded yet (issue 14, item 3b): the cut is the epoll loop's outbound bound.
        var hub = new BrokerHub();
        await using var server = await LoopbackServer.StartAsync(transport, hub.CreateProtocol, o => o.MaxOutputQueueBytes = 16 * 1024);
        await using var sender = await server.ConnectAsync();
        await using var reader = await server.ConnectAsync();
        await using var stalled = await server.ConnectAsync();
        stalled.Socket.ReceiveBufferSize = 4096;
        await WaitForMembersAsync(hub, 3);

        // 8 MB, far more than the stalled client's socket buffers and twice its queue bound, sent in 8 KB blocks each of
        // which the reading client has taken before the next is sent: it keeps up, the stalled one falls behind.
        const int lines = 80_000;
        var lineLength = Line(0, 0).Length;
        var received = new StringBuilder();
        var block = new StringBuilder();
        for (var n = 0; n < lines; n++)
        {
            block.Append(Line(0, n));
            if (block.Length > 8000 || n == lines - 1)
            {
                var reading = reader.ReadExactlyAsync(block.Length);
                await sender.Stream.WriteAsync(Encoding.ASCII.GetBytes(block.ToString()));
                received.Append(Encoding.ASCII.GetString(await reading));
                block.Clear();
            }
        }

        AssertEveryLineOnce(received.ToString(), 1, lines, except: -1);
        await server.Logs.WaitForAsync(
            m => m.Any(l => l.Contains("bytes queued for a peer that is not reading", StringComparison.Ordinal)),
            TimeSpan.FromSeconds(30), "the stalled client's cut");
        Assert.Equal(2, hub.MemberCount);
    }

    [Fact]
    public async Task Broker_NcatClients_RelaysBetweenRealPeers()
    {
        if (!File.Exists("/usr/bin/ncat"))
        {
            Assert.Fail("ncat is not installed: apt-get install -y ncat (./test.sh installs it)");
        }

        var hub = new BrokerHub();
        await using var server = await LoopbackServer.StartAsync(TestTransport.EpollTcp, hub.CreateProtocol);
        var port = server.Endpoint.Port.ToString(CultureInfo.InvariantCulture);
        using var listener = PeerProcess.Start("ncat", ["--recv-only", "127.0.0.1", port]);
        await WaitForMembersAsync(hub, 1);
        await using var ours = await server.ConnectAsync();
        await WaitForMembersAsync(hub, 2);
        using var sender = PeerProcess.Start("ncat", ["--send-only", "127.0.0.1", port], redirectStdin: true);
        await WaitForMembersAsync(hub, 3);

        await sender.WriteStdinAndCloseAsync("hello from ncat\r\nsecond line\nno newline at the end"u8.ToArray());
        Assert.Equal(0, await sender.WaitForExitAsync());
        var lines = await listener.WaitForStdoutLinesAsync(3);
        Assert.Equal(["hello from ncat\r", "second line", "no newline at the end"], lines);
        const string relayed = "hello from ncat\r\nsecond line\nno newline at the end\n";
        Assert.Equal(relayed, Encoding.ASCII.GetString(await ours.ReadExactlyAsync(relayed.Length)));

        await ours.Stream.WriteAsync("from sockcat's side\n"u8.ToArray());
        Assert.Equal("from sockcat's side", (await listener.WaitForStdoutLinesAsync(4))[3]);
    }

    private static string Line(int sender, int n) =>
        string.Create(CultureInfo.InvariantCulture, $"client {sender:D2} line {n:D6} {new string((char)('a' + sender % 26), 60)}{(n % 3 == 0 ? "\r\n" : " \n")}");

    /// <summary>Each sender's lines arrive whole, once, and in the order sent (senders interleave freely).</summary>
    private static void AssertEveryLineOnce(string received, int senders, int lines, int except)
    {
        var next = new int[senders];
        foreach (var line in received.Split('\n', StringSplitOptions.RemoveEmptyEntries))
        {
            var sender = int.Parse(line.AsSpan(7, 2), CultureInfo.InvariantCulture);
            Assert.NotEqual(except, sender);
            Assert.Equal(Line(sender, next[sender]), line + "\n");
            next[sender]++;
        }

        for (var s = 0; s < senders; s++)
        {
            Assert.Equal(s == except ? 0 : lines, next[s]);
        }
    }

    private static async Task WaitForMembersAsync(BrokerHub hub, int count)
    {
        // Membership begins in OnConnected on the server's thread, after the client's connect has returned.
        var deadline = Stopwatch.StartNew();
        while (hub.MemberCount != count)
        {
            Assert.True(deadline.Elapsed < TimeSpan.FromSeconds(30), $"{hub.MemberCount} members, waiting for {count}");
            await Task.Delay(5);
        }
    }
}
