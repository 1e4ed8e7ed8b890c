using SockCat.Bench;
using SockCat.Endpoints;
using SockCat.Services.Broker;
using SockCat.Services.Echo;
using SockCat.Testing;

namespace SockCat.IntegrationTests.Bench;

public sealed class BroadcastBenchTests
{
    private static readonly TimeSpan Bound = TimeSpan.FromSeconds(60);

    private static BenchOptions Options(EndpointUrl url, int connections) => new()
    {
        Mode = BenchMode.Broadcast,
        Url = url,
        Connections = connections,
        MessageSize = 64,
        Window = 2,
        WarmupSeconds = 0,
        DurationSeconds = 0.5,
        ConnectTimeoutSeconds = 10,
    };

    private static Task<BenchResult> RunAsync(BenchOptions options)
    {
        using var cts = new CancellationTokenSource(Bound);
        return LoadGenerator.RunAsync(options, null, cts.Token).WaitAsync(Bound);
    }

    [Theory]
    [InlineData(TestTransport.EpollTcp)]
    [InlineData(TestTransport.EpollUnix)]
    public async Task Broadcast_AgainstServeBroker_EveryLineReachesEveryOtherClient(TestTransport transport)
    {
        var hub = new BrokerHub();
        await using var server = await LoopbackServer.StartAsync(transport, hub.CreateProtocol);

        var result = await RunAsync(Options(server.Endpoint, 8));

        Assert.True(result.Succeeded, result.Errors.First);
        Assert.Equal(8, result.Connected);
        Assert.True(result.Messages > 0);
        Assert.Equal(result.Messages * 64, result.Bytes);
        Assert.Equal(result.Messages, result.Latency.Count);
        // Each line counted by the server once, and every measured delivery is one of them reaching one of 7 others.
        Assert.True(hub.LinesRelayed * 7 >= result.Messages);
    }

    [Fact]
    public async Task Broadcast_AgainstAnEchoServer_FailsVerification()
    {
        // An echo sends each line back to its sender: not what a broker does, and the check must say so.
        await using var server = await LoopbackServer.StartAsync(TestTransport.EpollTcp, _ => EchoProtocol.Instance);

        var result = await RunAsync(Options(server.Endpoint, 3));

        Assert.False(result.Succeeded);
        Assert.True(result.Errors.Verify > 0);
        Assert.Contains("not one sent by another client", result.Errors.First);
    }

    [Fact]
    public void Validate_LineTooShortForItsHeader_SaysWhy()
    {
        var options = Options(EndpointUrl.Parse("tcp://127.0.0.1:4444"), 2) with { MessageSize = 32 };

        Assert.Equal("bench broadcast needs --connections 2 or more and --size 42 or more (a line carries its sender, number and send time)", options.Validate());
    }

    [Fact]
    public void Format_ThenParse_RoundTrips()
    {
        var line = new byte[64];
        FanOutLine.Format(line, 123, 456789, 1234567890123);

        Assert.True(FanOutLine.TryParse(line, out var sender, out var seq, out var timestamp));
        Assert.Equal((123, 456789L, 1234567890123L), (sender, seq, timestamp));
        Assert.Equal((byte)'\n', line[^1]);
        Assert.DoesNotContain((byte)'\n', line[..^1]);
    }
}
