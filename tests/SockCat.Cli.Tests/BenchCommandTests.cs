using SockCat.Services.Echo;
using SockCat.Testing;

namespace SockCat.Cli.Tests;

/// <summary>`sockcat bench` as a user meets it: a server that is not there, Ctrl+C, and each mode's --help.</summary>
[System.Runtime.Versioning.UnsupportedOSPlatform("windows")]
public sealed class BenchCommandTests
{
    /// <summary>A 600-second run that returns inside the test's time limit did not wait out warm-up and measurement.</summary>
    [Theory]
    [InlineData("pingpong")]
    [InlineData("stream")]
    [InlineData("conns")]
    public async Task Bench_RefusedPort_OneLineConnectFailedAtOnce(string mode)
    {
        var port = LoopbackPorts.Unused();
        string[] duration = mode == "conns" ? ["--hold", "600"] : ["-d", "600"];

        var result = await CliRun.InvokeAsync(["bench", mode, $"tcp://127.0.0.1:{port}", "-c", "3", .. duration, "--no-progress"]);

        Assert.Equal(ExitCodes.ConnectFailed, result.ExitCode);
        Assert.Equal($"sockcat: could not connect to tcp://127.0.0.1:{port}: connect() failed: Connection refused (ECONNREFUSED); is the server running?\n", result.Error);
        Assert.Empty(result.Output);
    }

    [Theory]
    [InlineData(Signals.SigInt, 130)]
    [InlineData(Signals.SigTerm, 143)]
    public async Task Bench_SignalWhileMeasuring_PrintsWhatWasMeasuredAndExits128PlusSignal(int signal, int expectedCode)
    {
        using var cts = new CancellationTokenSource(CliRun.TestTimeout);
        await using var server = await LoopbackServer.StartAsync(TestTransport.EpollTcp, _ => EchoProtocol.Instance);
        await using var bench = SockcatProcess.Start(["bench", "pingpong", server.Endpoint.ToString(), "-c", "2", "-d", "600", "--warmup", "0"]);

        // Not a terminal: the progress line comes once a second as a line of its own, "measure" once measuring.
        string? line;
        while ((line = await bench.Stderr.ReadLineAsync(cts.Token)) is not null && !line.Contains(" measure ", StringComparison.Ordinal))
        {
        }

        Assert.NotNull(line);
        Signals.Send(bench.Id, signal);
        var (code, stdout, stderr) = await bench.WaitAsync();

        Assert.Equal(expectedCode, code);
        var table = System.Text.Encoding.UTF8.GetString(stdout);
        Assert.Contains("msgs/s", table);
        Assert.Matches(@"messages +│ +[1-9][\d,]* │", table);
        Assert.Matches(@"sockcat: interrupted after [\d.]+ s of measuring; the figures above cover that time\n$", stderr);
    }

    [Theory]
    [InlineData("pingpong", new[] { "--size", "--window", "--duration", "--count", "--io" }, new[] { "--inflight", "--hold", "--server-pid" })]
    [InlineData("stream", new[] { "--size", "--inflight", "--duration", "--count", "--io" }, new[] { "--window", "--hold", "--server-pid" })]
    [InlineData("conns", new[] { "--hold", "--server-pid", "--rate", "--burst" }, new[] { "--size", "--window", "--inflight", "--duration", "--count", "--warmup", "--io" })]
    public async Task Help_BenchMode_ListsOnlyTheOptionsItUses(string mode, string[] listed, string[] notListed)
    {
        var result = await CliRun.InvokeAsync("bench", mode, "--help");

        Assert.Equal(0, result.ExitCode);
        Assert.All(listed, o => Assert.Contains(o, result.Output));
        Assert.All(notListed, o => Assert.DoesNotContain(o + " ", result.Output));
    }

    [Theory]
    [InlineData("tcp://127.0.0.1:1", "--window", "4")]
    [InlineData("--window", "4", "tcp://127.0.0.1:1")]
    public async Task Bench_OptionOfAnotherMode_UnknownOption(params string[] args)
    {
        var result = await CliRun.InvokeAsync(["bench", "conns", .. args]);

        Assert.Equal(ExitCodes.Usage, result.ExitCode);
        Assert.Single(result.Error.TrimEnd('\n').Split('\n'));
        Assert.Contains("'--window'", result.Error);
    }
}
