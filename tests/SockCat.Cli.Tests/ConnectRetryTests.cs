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

    [Theory]
    [InlineData(new[] { "--interval", "1" }, "sockcat: --interval is the wait between --retry attempts, and there is no --retry; add --retry N (or forever)\n")]
    [InlineData(new[] { "--retry", "some" }, "sockcat: --retry: 'some' is not a number of attempts; give a whole number or forever, e.g. --retry 5\n")]
    public async Task Retry_BadUse_OneLineUsageError(string[] options, string expected)
    {
        var result = await CliRun.InvokeAsync(["connect", "127.0.0.1:1", .. options]);

        Assert.Equal(ExitCodes.Usage, result.ExitCode);
        Assert.Equal(expected, result.Error);
    }
}
