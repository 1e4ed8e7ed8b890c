using System.Net;
using System.Net.Sockets;
using System.Text;

namespace SockCat.Cli.Tests;

public sealed class ServeBrokerCommandTests
{
    [Fact]
    public async Task ServeBroker_MaxLineZero_OneLineUsageError()
    {
        var result = await CliRun.InvokeAsync("serve", "broker", "--max-line", "0", "tcp://127.0.0.1:0");

        Assert.Equal(ExitCodes.Usage, result.ExitCode);
        Assert.Equal("sockcat: --max-line 0 is not a line length; give 1 byte or more (default 65536)\n", result.Error);
    }

    [Fact]
    public async Task ServeBroker_Udp_RefusedInOneLine()
    {
        var result = await CliRun.InvokeAsync("serve", "broker", "--quiet", "udp://127.0.0.1:0");

        Assert.Equal(ExitCodes.ListenFailed, result.ExitCode);
        Assert.StartsWith("sockcat: udp://127.0.0.1:0: a udp:// endpoint is not served here", result.Error);
        Assert.Single(result.Error.TrimEnd('\n').Split('\n'));
    }

    [Fact]
    public async Task ServeBroker_TwoClients_LineRelayed_SeedLinesLogged_CtrlCExitsZero()
    {
        using var stop = new CancellationTokenSource();
        var (run, error) = CliRun.Start(new MemoryStream(), stop.Token, "serve", "broker", "--max-line", "10", "tcp://127.0.0.1:0");
        var port = await CliRun.WaitForListeningPortAsync(error, run);

        using var first = await ConnectAsync(port);
        using var second = await ConnectAsync(port);
        // A line reaching the first client proves both are in the room (each joins before its input is read).
        await second.SendAsync("ready\n"u8.ToArray());
        Assert.Equal("ready\n", await ReceiveAsync(first, 6));

        await first.SendAsync("hi there\n0123456789abc\n"u8.ToArray());
        Assert.Equal("hi there\n", await ReceiveAsync(second, 9));
        Assert.Equal("sockcat: line longer than 10 bytes not relayed; send shorter lines\n", await ReceiveAsync(first, 67));

        stop.Cancel();
        var result = await run;
        Assert.Equal(ExitCodes.Success, result.ExitCode);
        Assert.Contains("Connection accepted from 127.0.0.1:", result.Output);
        Assert.Contains("Now there are total 2 clients.", result.Output);
    }

    private static async Task<Socket> ConnectAsync(int port)
    {
        var socket = new Socket(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp);
        await socket.ConnectAsync(new IPEndPoint(IPAddress.Loopback, port));
        return socket;
    }

    private static async Task<string> ReceiveAsync(Socket socket, int count)
    {
        using var timeout = new CancellationTokenSource(CliRun.TestTimeout);
        var buffer = new byte[count];
        var got = 0;
        while (got < count)
        {
            var n = await socket.ReceiveAsync(buffer.AsMemory(got), timeout.Token);
            Assert.NotEqual(0, n);
            got += n;
        }

        return Encoding.ASCII.GetString(buffer);
    }
}
