using System.Net;
using System.Net.Sockets;
using System.Text;

namespace SockCat.Cli.Tests;

public sealed class ServeChatCommandTests
{
    [Theory]
    [InlineData("--max-line", "0")]
    [InlineData("--max-line", "8")]
    [InlineData("--register-timeout", "0")]
    [InlineData("--flood", "-1")]
    [InlineData("--resume-window", "-1")]
    [InlineData("--web", "tcp://127.0.0.1:0")]
    public async Task ServeChat_BadLimit_OneLineUsageError(string option, string value)
    {
        var result = await CliRun.InvokeAsync("serve", "chat", option, value, "tcp://127.0.0.1:0");

        Assert.Equal(ExitCodes.Usage, result.ExitCode);
        Assert.StartsWith($"sockcat: {option}", result.Error);
        Assert.Single(result.Error.TrimEnd('\n').Split('\n'));
    }

    [Fact]
    public async Task ServeChat_TwoUsers_RoomAndPrivateMessage_LineLimit_CtrlCExitsZero()
    {
        using var stop = new CancellationTokenSource();
        var (run, error) = CliRun.Start(new MemoryStream(), stop.Token, "serve", "chat", "--max-line", "100", "tcp://127.0.0.1:0");
        var port = await CliRun.WaitForListeningPortAsync(error, run);

        using var alice = await ConnectAsync(port);
        using var bob = await ConnectAsync(port);
        await alice.SendAsync("/nick alice\n/join lobby\n"u8.ToArray());
        await ReadUntilAsync(alice, "*** in #lobby (1): @alice\n");
        await bob.SendAsync("/nick bob\n/join lobby\n"u8.ToArray());
        await ReadUntilAsync(bob, "*** in #lobby (2): @alice bob\n");
        await ReadUntilAsync(alice, "[#lobby] *** bob joined\n");

        await alice.SendAsync(Encoding.ASCII.GetBytes("hello\n/msg bob psst\n" + new string('x', 101) + "\n"));
        Assert.Equal("[#lobby] <alice> hello\n[pm] <alice> psst\n", await ReadUntilAsync(bob, "[pm] <alice> psst\n"));
        Assert.Equal("error: line longer than 100 bytes not sent; send shorter lines\n", await ReadUntilAsync(alice, "send shorter lines\n"));

        stop.Cancel();
        var result = await run;
        Assert.Equal(ExitCodes.Success, result.ExitCode);
        Assert.Contains("Now there are total 2 clients.", result.Output);
    }

    [Fact]
    public async Task ServeChat_Web_ServesThePageAndItsWebSocketOnTheSameRooms()
    {
        using var stop = new CancellationTokenSource();
        var (run, error) = CliRun.Start(new MemoryStream(), stop.Token, "serve", "chat", "tcp://127.0.0.1:0", "--web", "http://127.0.0.1:0/");
        var port = await CliRun.WaitForListeningPortAsync(error, run);
        var webPort = await WaitForWebPortAsync(error);

        using var http = new HttpClient();
        var page = await http.GetAsync($"http://127.0.0.1:{webPort}/");
        Assert.Equal("text/html", page.Content.Headers.ContentType?.MediaType);
        Assert.Contains("<title>sockcat chat</title>", await page.Content.ReadAsStringAsync());

        using var carol = await ConnectAsync(port);
        await carol.SendAsync("/nick carol\n/join lobby\n"u8.ToArray());
        await ReadUntilAsync(carol, "*** in #lobby (1): @carol\n");
        using var browser = new System.Net.WebSockets.ClientWebSocket();
        await browser.ConnectAsync(new Uri($"ws://127.0.0.1:{webPort}/"), CancellationToken.None);
        foreach (var request in new[] { """{"type":"hello","nick":"alice"}""", """{"type":"join","room":"lobby"}""", """{"type":"say","room":"#lobby","text":"from a browser"}""" })
        {
            await browser.SendAsync(Encoding.UTF8.GetBytes(request), System.Net.WebSockets.WebSocketMessageType.Text, true, CancellationToken.None);
        }

        Assert.EndsWith("[#lobby] <alice> from a browser\n", await ReadUntilAsync(carol, "from a browser\n"));
        stop.Cancel();
        Assert.Equal(ExitCodes.Success, (await run).ExitCode);
    }

    private static async Task<int> WaitForWebPortAsync(SyncWriter error)
    {
        const string announced = "listening on http://127.0.0.1:";
        var deadline = DateTime.UtcNow + CliRun.TestTimeout;
        while (DateTime.UtcNow < deadline)
        {
            var text = error.Text;
            if (text.IndexOf(announced, StringComparison.Ordinal) is var at and >= 0 && text.IndexOf('/', at + announced.Length) is var end and > 0)
            {
                return int.Parse(text[(at + announced.Length)..end]);
            }

            await Task.Delay(20);
        }

        throw new InvalidOperationException($"the web listener was never announced; stderr: {error.Text}");
    }

    private static async Task<Socket> ConnectAsync(int port)
    {
        var socket = new Socket(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp);
        await socket.ConnectAsync(new IPEndPoint(IPAddress.Loopback, port));
        return socket;
    }

    /// <summary>What arrives up to and including <paramref name="end"/>.</summary>
    private static async Task<string> ReadUntilAsync(Socket socket, string end)
    {
        using var timeout = new CancellationTokenSource(CliRun.TestTimeout);
        var received = new StringBuilder();
        var one = new byte[1];
        while (!received.ToString().EndsWith(end, StringComparison.Ordinal))
        {
            var n = await socket.ReceiveAsync(one, timeout.Token);
            Assert.NotEqual(0, n);
            received.Append((char)one[0]);
        }

        return received.ToString();
    }
}
