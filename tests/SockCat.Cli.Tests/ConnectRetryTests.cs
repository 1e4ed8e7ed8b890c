using System.IO.Pipelines;
using System.Net;
using System.Net.Sockets;
using System.Text;
using SockCat.Testing;

namespace SockCat.Cli.Tests;

/// <summary>`connect --retry N --interval S`, as socat's retry= and forever: each failure said, then connected or given up.</summary>
public sealed class ConnectRetryTests
{
    [Fact]
    public async Task Retry_NothingListens_SaysEachAttempt_ThenGivesUpWithConnectFailed()
    {
        var port = LoopbackPorts.Unused();

        var result = await CliRun.InvokeAsync(["connect", $"127.0.0.1:{port}", "--retry", "2", "--interval", "0.05"]);

        Assert.Equal(ExitCodes.ConnectFailed, result.ExitCode);
        Assert.Equal(
            $"sockcat: connection refused by 127.0.0.1:{port} (ECONNREFUSED); trying again in 0.05 s (attempt 2 of 3)\n" +
            $"sockcat: connection refused by 127.0.0.1:{port} (ECONNREFUSED); trying again in 0.05 s (attempt 3 of 3)\n" +
            $"sockcat: connection refused by 127.0.0.1:{port} (ECONNREFUSED); is a server listening there?\n",
            result.Error);
    }

    [Fact]
    public async Task RetryForever_ServerStartsLater_ConnectsAndDeliversStdin()
    {
        var port = LoopbackPorts.Unused();
        using var cts = new CancellationTokenSource(CliRun.TestTimeout);
        var (run, error) = CliRun.Start(new MemoryStream("late but whole\n"u8.ToArray()), cts.Token, "connect", $"127.0.0.1:{port}", "--retry", "forever", "--interval", "0.05");

        // The server comes up only once the client has been refused at least once.
        while (!error.Text.Contains("trying again", StringComparison.Ordinal))
        {
            await Task.Delay(20, cts.Token);
        }

        using var listener = new Socket(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp);
        listener.Bind(new IPEndPoint(IPAddress.Loopback, port));
        listener.Listen();
        using var accepted = await listener.AcceptAsync(cts.Token);
        var received = new MemoryStream();
        var buffer = new byte[256];
        int n;
        while ((n = await accepted.ReceiveAsync(buffer, cts.Token)) > 0)
        {
            received.Write(buffer, 0, n);
        }

        accepted.Shutdown(SocketShutdown.Send);
        var result = await run.WaitAsync(cts.Token);

        Assert.Equal(ExitCodes.Success, result.ExitCode);
        Assert.Equal("late but whole\n", Encoding.UTF8.GetString(received.ToArray()));
        Assert.Contains($"sockcat: connection refused by 127.0.0.1:{port} (ECONNREFUSED); trying again in 0.05 s (attempt 2)\n", error.Text);
    }

    [Fact]
    public async Task Reconnect_ServerRestartsWhileStdinGoesOn_TheRestOfStdinReachesTheNewServer()
    {
        using var cts = new CancellationTokenSource(CliRun.TestTimeout);
        var port = LoopbackPorts.Unused();
        var stdin = new Pipe();
        var first = Listen(port);
        var (run, error) = CliRun.Start(stdin.Reader.AsStream(), cts.Token, "connect", $"127.0.0.1:{port}", "--reconnect", "--interval", "0.05");

        // The first server takes a line, then goes away (a restart) while stdin is still open.
        using (var accepted = await first.AcceptAsync(cts.Token))
        {
            await stdin.Writer.WriteAsync("one\n"u8.ToArray(), cts.Token);
            Assert.Equal("one\n", await ReceiveAsync(accepted, 4, cts.Token));
            first.Dispose();
        }

        while (!error.Text.Contains("again in 0.05 s (--reconnect)", StringComparison.Ordinal))
        {
            await Task.Delay(20, cts.Token);
        }

        using var second = Listen(port);
        using var again = await second.AcceptAsync(cts.Token);
        await stdin.Writer.WriteAsync("two\n"u8.ToArray(), cts.Token);
        await stdin.Writer.CompleteAsync();
        Assert.Equal("two\n", await ReceiveAsync(again, int.MaxValue, cts.Token));   // to sockcat's half-close
        again.Shutdown(SocketShutdown.Send);
        var result = await run.WaitAsync(cts.Token);

        Assert.Equal(ExitCodes.Success, result.ExitCode);
        Assert.StartsWith(
            $"sockcat: tcp://127.0.0.1:{port} closed the connection\nsockcat: connecting to tcp://127.0.0.1:{port} again in 0.05 s (--reconnect)\n",
            error.Text);
    }

    private static Socket Listen(int port)
    {
        var listener = new Socket(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp);
        listener.Bind(new IPEndPoint(IPAddress.Loopback, port));
        listener.Listen();
        return listener;
    }

    private static async Task<string> ReceiveAsync(Socket socket, int count, CancellationToken cancellationToken)
    {
        var received = new MemoryStream();
        var buffer = new byte[256];
        int n;
        while (received.Length < count && (n = await socket.ReceiveAsync(buffer, cancellationToken)) > 0)
        {
            received.Write(buffer, 0, n);
        }

        return Encoding.UTF8.GetString(received.ToArray());
    }

    [Theory]
    [InlineData(new[] { "127.0.0.1:1", "--interval", "1" }, "sockcat: --interval is the wait between --retry attempts, and there is no --retry; add --retry N (or forever)\n")]
    [InlineData(new[] { "udp://127.0.0.1:1", "--reconnect" }, "sockcat: --reconnect is for stream connections, and udp has none to lose; leave --reconnect out\n")]
    [InlineData(new[] { "127.0.0.1:1", "--retry", "some" }, "sockcat: --retry: 'some' is not a number of attempts; give a whole number or forever, e.g. --retry 5\n")]
    public async Task Retry_BadUse_OneLineUsageError(string[] args, string expected)
    {
        var result = await CliRun.InvokeAsync(["connect", .. args]);

        Assert.Equal(ExitCodes.Usage, result.ExitCode);
        Assert.Equal(expected, result.Error);
    }
}
