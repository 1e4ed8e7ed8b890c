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
