using System.Text;
using SockCat.Services.Chat;
using SockCat.Testing;

namespace SockCat.IntegrationTests.Services.Chat;

/// <summary>IRC over real sockets on every transport, beside the line protocol on the same port.</summary>
public sealed class IrcServerTests
{
    private static async Task<(ChatService, LoopbackServer)> StartAsync(TestTransport transport, ChatServiceOptions? options = null)
    {
        var chat = new ChatService(new ChatHub(), options);
        return (chat, await LoopbackServer.StartAsync(transport, chat.CreateProtocol));
    }

    private static async Task<ChatLineClient> RegisterAsync(LoopbackServer server, string nick)
    {
        var client = await ChatLineClient.IrcAsync(server);
        await client.SendAsync($"NICK {nick}", $"USER {nick} 0 * :{nick}");
        await client.ExpectAsync(l => l.StartsWith(":sockcat 376 ", StringComparison.Ordinal) || l.StartsWith(":sockcat 422 ", StringComparison.Ordinal));
        return client;
    }

    [Theory]
    [MemberData(nameof(TransportMatrix.All), MemberType = typeof(TransportMatrix))]
    public async Task IrcAndLineUser_SamePortSameRoom_SeeEachOther(TestTransport transport)
    {
        var (_, server) = await StartAsync(transport);
        await using var _ = server;
        await using var irc = await RegisterAsync(server, "alice");
        await irc.SendAsync("JOIN #lobby");
        await irc.ExpectAsync(" 366 alice #lobby ");

        await using var line = await ChatLineClient.LineAsync(server);
        await line.SendAsync("/nick bob", "/join lobby");
        await irc.ExpectAsync(":bob!bob@");
        await line.SendAsync("hello from nc");
        Assert.Matches(@"^:bob!bob@\S+ PRIVMSG #lobby :hello from nc$", await irc.ReadLineAsync());

        await irc.SendAsync("PRIVMSG #lobby :hello from irc", "PRIVMSG bob :just you", "PRIVMSG #lobby :\u0001ACTION waves\u0001");
        Assert.Equal("[#lobby] <alice> hello from irc", await line.ExpectAsync("hello from irc"));
        Assert.Equal("[pm] <alice> just you", await line.ReadLineAsync());
        Assert.Equal("[#lobby] * alice waves", await line.ReadLineAsync());

        await irc.SendAsync("QUIT :bye");
        Assert.Equal("ERROR :Closing Link: " + Host(transport) + " (Quit: bye)", await irc.ExpectAsync("ERROR"));
        Assert.Contains("alice quit (Quit: bye)", await line.ExpectAsync("alice quit"));
    }

    [Theory]
    [InlineData(TestTransport.EpollTcp)]
    [InlineData(TestTransport.KestrelTcp)]
    public async Task Irc_BytesArriveOneAtATime_LinesReassembled(TestTransport transport)
    {
        var (_, server) = await StartAsync(transport);
        await using var _ = server;
        await using var client = new ChatLineClient(await server.ConnectAsync(), "\r\n");
        foreach (var b in "CAP LS 302\r\nNICK alice\r\nUSER a 0 * :A\r\nCAP END\r\nPING :x\r\n"u8.ToArray())
        {
            await client.Client.Stream.WriteAsync(new[] { b });
            await client.Client.Stream.FlushAsync();
        }

        Assert.Equal(":sockcat CAP * LS :", await client.ReadLineAsync());
        Assert.StartsWith(":sockcat 001 alice ", await client.ReadLineAsync());
        Assert.Equal(":sockcat PONG sockcat :x", await client.ExpectAsync("PONG"));
    }

    [Theory]
    [InlineData(TestTransport.EpollTcp)]
    [InlineData(TestTransport.KestrelTcp)]
    public async Task Irc_LineOver512Bytes_417_NeverRelayed_SessionGoesOn(TestTransport transport)
    {
        var (_, server) = await StartAsync(transport);
        await using var _ = server;
        await using var alice = await RegisterAsync(server, "alice");
        await using var bob = await RegisterAsync(server, "bob");
        await alice.SendAsync("JOIN #lobby");
        await bob.SendAsync("JOIN #lobby");
        await alice.ExpectAsync(" JOIN #lobby");
        await alice.ExpectAsync(" JOIN #lobby");

        // 64 KiB with no newline for a while, then the end of the line, then a good one.
        var huge = Encoding.ASCII.GetBytes("PRIVMSG #lobby :" + new string('x', 64 * 1024));
        await bob.Client.Stream.WriteAsync(huge);
        await bob.SendAsync("", "PRIVMSG #lobby :after");
        Assert.Equal(":sockcat 417 bob :Input line was too long", await bob.ExpectAsync(" 417 "));
        Assert.EndsWith(" PRIVMSG #lobby :after", await alice.ReadLineAsync());
    }

    [Fact]
    public async Task Irc_SilentPeer_PingedThenCut_RoomSeesPingTimeout()
    {
        var (_, server) = await StartAsync(TestTransport.EpollTcp, new ChatServiceOptions
        {
            // Long enough that the live client, answering as it reads, is never late on a loaded machine.
            Irc = new IrcOptions { PingInterval = TimeSpan.FromSeconds(5) },
        });
        await using var _ = server;
        await using var alive = await RegisterAsync(server, "alive");
        await using var silent = await RegisterAsync(server, "silent");
        await alive.SendAsync("JOIN #lobby");
        await silent.SendAsync("JOIN #lobby");
        await alive.ExpectAsync(":silent!silent@127.0.0.1 JOIN #lobby");

        // The live client answers each PING; the silent one reads but never answers.
        Assert.Equal("PING :sockcat", await silent.ExpectAsync("PING"));
        while (true)
        {
            var line = await alive.ReadLineAsync();
            if (line == "PING :sockcat")
            {
                await alive.SendAsync("PONG :sockcat");
                continue;
            }

            Assert.Matches(@"^:silent!silent@127\.0\.0\.1 QUIT :Ping timeout: \d+ seconds$", line);
            break;
        }

        Assert.True(await silent.Client.EndsWithinAsync(ChatLineClient.Deadline));
    }

    private static string Host(TestTransport transport) =>
        transport is TestTransport.EpollUnix or TestTransport.KestrelUnix or TestTransport.KestrelEpollUnix ? "localhost" : "127.0.0.1";
}
