using System.Diagnostics;
using System.Globalization;
using System.Text;
using SockCat.IntegrationTests.Seed;
using SockCat.Services.Chat;
using SockCat.Testing;

namespace SockCat.IntegrationTests.Services;

/// <summary><c>serve chat</c>'s line protocol over real loopback sockets, with raw clients and nc.</summary>
public sealed class ChatServerTests
{
    [Theory]
    [MemberData(nameof(TransportMatrix.All), MemberType = typeof(TransportMatrix))]
    public async Task ThreeClients_Rooms_PrivateMessages_Notices(TestTransport transport)
    {
        var chat = new ChatService(new ChatHub());
        await using var server = await LoopbackServer.StartAsync(transport, chat.CreateProtocol);
        await using var alice = await ChatClient.ConnectAsync(server, "alice");
        await using var bob = await ChatClient.ConnectAsync(server, "bob");
        await using var carol = await ChatClient.ConnectAsync(server, "carol");

        await alice.SayAsync("/join lobby");
        await alice.ExpectAsync("*** you made #lobby and are its operator; it is your current room", "*** in #lobby (1): @alice");
        await bob.SayAsync("/join lobby");
        await bob.ExpectAsync("*** you joined #lobby; it is your current room", "*** in #lobby (2): @alice bob");
        await alice.ExpectAsync("[#lobby] *** bob joined");

        await alice.SayAsync("hello, room");
        await bob.ExpectAsync("[#lobby] <alice> hello, room");
        await bob.SayAsync("/me waves");
        await alice.ExpectAsync("[#lobby] * bob waves");
        await carol.SayAsync("/msg alice just to you");
        await alice.ExpectAsync("[pm] <carol> just to you");

        // A private room for two: invite-only, carol kept out.
        await alice.SayAsync("/join tea");
        await alice.ExpectAsync("*** you made #tea and are its operator; it is your current room", "*** in #tea (1): @alice");
        await alice.SayAsync("/mode +i");
        await alice.ExpectAsync("[#tea] *** alice made the room invite-only");
        await carol.SayAsync("/join tea");
        await carol.ExpectAsync("error: #tea is invite-only; ask one of its operators for an /invite");
        await alice.SayAsync("/invite bob");
        await alice.ExpectAsync("*** invited bob to #tea");
        await bob.ExpectAsync("*** alice invites you to #tea; type /join tea to go in");
        await bob.SayAsync("/join tea");
        await bob.ExpectAsync("*** you joined #tea; it is your current room", "*** in #tea (2): @alice bob");
        await alice.ExpectAsync("[#tea] *** bob joined");
        await bob.SayAsync("only us");
        await alice.ExpectAsync("[#tea] <bob> only us");

        await bob.SayAsync("/quit bedtime");
        await bob.ExpectAsync("*** bye");
        Assert.True(await bob.Client.EndsWithinAsync(TimeSpan.FromSeconds(30)));
        // Once, though bob shared two rooms with alice.
        await alice.ExpectAsync("*** bob quit (bedtime)");
        await alice.SayAsync("/who *");
        await alice.ExpectAsync("*** online (2): alice carol");
    }

    [Theory]
    [InlineData(TestTransport.EpollTcp)]
    [InlineData(TestTransport.KestrelTcp)]
    public async Task EndlessLine_RefusedInOneLine_NeverRelayed_ConnectionGoesOn(TestTransport transport)
    {
        var chat = new ChatService(new ChatHub());
        await using var server = await LoopbackServer.StartAsync(transport, chat.CreateProtocol);
        await using var alice = await ChatClient.ConnectAsync(server, "alice", "lobby");
        await using var bob = await ChatClient.ConnectAsync(server, "bob", "lobby");
        await alice.ExpectAsync("[#lobby] *** bob joined");

        // 64 KiB with no newline, then the newline and a good line: far over the 512-byte bound.
        await alice.Client.Stream.WriteAsync(Encoding.ASCII.GetBytes(new string('x', 64 * 1024)));
        await alice.Client.Stream.WriteAsync("\nafter\n"u8.ToArray());
        await alice.ExpectAsync("error: line longer than 512 bytes not sent; send shorter lines");
        await bob.ExpectAsync("[#lobby] <alice> after");
    }

    // Every transport: a message posted to the stalled member while its connection was being cut once made it a ghost that
    // was never announced (seen on the Kestrel transports and unix sockets; ChatHubTests.PostRefused_... pins it down).
    [Theory]
    [InlineData(TestTransport.EpollTcp)]
    [InlineData(TestTransport.KestrelTcp)]
    [InlineData(TestTransport.KestrelTls)]
    [InlineData(TestTransport.KestrelEpollTcp)]
    [InlineData(TestTransport.EpollUnix)]
    [InlineData(TestTransport.KestrelEpollUnix)]
    [InlineData(TestTransport.KestrelUnix)]
    [InlineData(TestTransport.EpollTls)]
    public async Task StalledReader_IsCut_TheRoomIsTold_OthersGetEveryLine(TestTransport transport)
    {
        var chat = new ChatService(new ChatHub(new ChatOptions { FloodMessagesPerSecond = 0 }));
        await using var server = await LoopbackServer.StartAsync(transport, chat.CreateProtocol, o => o.MaxOutputQueueBytes = 16 * 1024);
        await using var sender = await ChatClient.ConnectAsync(server, "sender", "r");
        await using var reader = await ChatClient.ConnectAsync(server, "reader", "r");
        await using var stalled = await ChatClient.ConnectAsync(server, "stalled", "r");
        stalled.Client.Socket.ReceiveBufferSize = 4096;
        await sender.ExpectAsync("[#r] *** reader joined", "[#r] *** stalled joined");
        await reader.ExpectAsync("[#r] *** stalled joined");

        // Up to 16 MB to a client that reads nothing: far past its socket buffers and twice its queue bound. The reader keeps up.
        // Not 4 MB: over loopback TCP the kernel alone takes about 3.5 MB before the server's queue grows (tcp_wmem's 4 MiB
        // autotuned send buffer), on every transport (the cut came after 8,469 to 8,518 lines of 422 bytes), so 10,000 lines
        // left the cut to chance and looked, on a Kestrel transport, like a reader never cut.
        var payload = new string('z', 400);
        var cut = false;
        for (var n = 0; n < 40_000 && !cut; n++)
        {
            await sender.SayAsync($"{n:D6} {payload}");
            var line = await reader.NextLineAsync();
            if (line.StartsWith("*** stalled quit", StringComparison.Ordinal))
            {
                Assert.Equal("*** stalled quit (cut: not reading (send queue over 32 KiB))", line);
                cut = true;
                break;
            }

            Assert.Equal($"[#r] <sender> {n:D6} {payload}", line);
        }

        Assert.True(cut, "the stalled reader was never cut");
        Assert.Equal(1, chat.Hub.SlowConsumersCut);
        Assert.Equal(2, chat.Hub.UserCount);
    }

    [Fact]
    public async Task NcUser_PipedSession_TalksToARawClient()
    {
        if (!File.Exists("/usr/bin/nc"))
        {
            Assert.Fail("nc is not installed: apt-get install -y netcat-openbsd (./test.sh installs it)");
        }

        var chat = new ChatService(new ChatHub());
        await using var server = await LoopbackServer.StartAsync(TestTransport.EpollTcp, chat.CreateProtocol);
        await using var bob = await ChatClient.ConnectAsync(server, "bob", "lobby");
        var port = server.Endpoint.Port.ToString(CultureInfo.InvariantCulture);
        using var nc = PeerProcess.Start("nc", ["-N", "127.0.0.1", port], redirectStdin: true);
        await nc.WriteStdinAndCloseAsync("/nick ncuser\n/join lobby\nhello from nc\n/msg bob psst\n"u8.ToArray());
        await bob.ExpectAsync("[#lobby] *** ncuser joined", "[#lobby] <ncuser> hello from nc", "[pm] <ncuser> psst", "*** ncuser quit (connection closed)");
        Assert.Equal(0, await nc.WaitForExitAsync());
        Assert.Contains("*** in #lobby (2): @bob ncuser", nc.StdoutLines);
    }

    /// <summary>A line-protocol user on a raw socket.</summary>
    private sealed class ChatClient : IAsyncDisposable
    {
        private static readonly TimeSpan Timeout = TimeSpan.FromSeconds(30);
        private readonly byte[] _buffer = new byte[64 * 1024];
        private int _start;
        private int _end;

        private ChatClient(TestClient client) => Client = client;

        public TestClient Client { get; }

        /// <summary>Connects and takes <paramref name="nick"/>, then joins <paramref name="room"/>; the replies are read.</summary>
        public static async Task<ChatClient> ConnectAsync(LoopbackServer server, string nick, string? room = null)
        {
            var client = new ChatClient(await server.ConnectAsync());
            await client.SayAsync($"/nick {nick}");
            Assert.StartsWith("*** Welcome to sockcat chat", await client.NextLineAsync());
            Assert.StartsWith("*** Choose a nickname", await client.NextLineAsync());
            Assert.StartsWith($"*** you are {nick}.", await client.NextLineAsync());
            if (room is not null)
            {
                await client.SayAsync($"/join {room}");
                Assert.Contains($"#{room}", await client.NextLineAsync());
                Assert.StartsWith($"*** in #{room}", await client.NextLineAsync());
            }

            return client;
        }

        public async Task SayAsync(string line) => await Client.Stream.WriteAsync(Encoding.UTF8.GetBytes(line + "\n"));

        /// <summary>The next lines are exactly these.</summary>
        public async Task ExpectAsync(params string[] lines)
        {
            foreach (var line in lines)
            {
                Assert.Equal(line, await NextLineAsync());
            }
        }

        public async Task<string> NextLineAsync()
        {
            var deadline = Stopwatch.StartNew();
            while (true)
            {
                var at = Array.IndexOf(_buffer, (byte)'\n', _start, _end - _start);
                if (at >= 0)
                {
                    var line = Encoding.UTF8.GetString(_buffer, _start, at - _start);
                    _start = at + 1;
                    return line;
                }

                if (_start > 0)
                {
                    Buffer.BlockCopy(_buffer, _start, _buffer, 0, _end - _start);
                    _end -= _start;
                    _start = 0;
                }

                using var cts = new CancellationTokenSource(Timeout - deadline.Elapsed);
                var n = await Client.Stream.ReadAsync(_buffer.AsMemory(_end), cts.Token);
                Assert.True(n > 0, "the server closed the connection before the line came");
                _end += n;
            }
        }

        public ValueTask DisposeAsync() => Client.DisposeAsync();
    }
}
