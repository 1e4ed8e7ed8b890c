using System.Text.Json;
using SockCat.Cli;

namespace SockCat.Cli.Tests;

/// <summary>`bench chat URL` against `serve chat` in each protocol and pace, and against a server that mixes rooms.</summary>
public sealed class BenchChatTests
{
    private static async Task<CliResult> BenchAgainstAsync(string[] server, params string[] bench)
    {
        using var stop = new CancellationTokenSource();
        var (run, error) = CliRun.Start(new MemoryStream(), stop.Token, server);
        var port = await CliRun.WaitForListeningPortAsync(error, run);
        var result = await CliRun.InvokeAsync(["bench", .. bench.Select(a => a.Replace("PORT", port.ToString())), "--no-progress"]);
        stop.Cancel();
        await run;
        return result;
    }

    [Theory]
    [InlineData("line", "3")]
    [InlineData("irc", "2")]
    public async Task BenchChat_AgainstServeChat_EveryLineReachesItsRoom(string protocol, string rooms)
    {
        var result = await BenchAgainstAsync(["serve", "chat", "tcp://127.0.0.1:0", "--flood", "0"],
            "chat", "tcp://127.0.0.1:PORT", "-c", "6", "--rooms", rooms, "--protocol", protocol, "--window", "2", "-d", "0.5", "--warmup", "0.2", "--json");

        Assert.True(result.ExitCode == ExitCodes.Success, result.Error);
        using var json = JsonDocument.Parse(result.Output);
        var messages = json.RootElement.GetProperty("messages").GetInt64();
        Assert.True(messages > 0, result.Output);
        Assert.Equal(messages, json.RootElement.GetProperty("latencyUs").GetProperty("count").GetInt64());
    }

    [Fact]
    public async Task BenchChat_LineRate_SendsAtThatPace()
    {
        // 6 users at 20 lines a second each, each line to the 2 others of its room: at most 240 deliveries a second of the
        // whole run (flat out it would be thousands), and a run where the server falls behind the rate fails.
        var result = await BenchAgainstAsync(["serve", "chat", "tcp://127.0.0.1:0", "--flood", "0"],
            "chat", "tcp://127.0.0.1:PORT", "-c", "6", "--rooms", "2", "--line-rate", "20", "--window", "8", "-d", "1", "--warmup", "0.2", "--json");

        Assert.True(result.ExitCode == ExitCodes.Success, result.Error);
        using var json = JsonDocument.Parse(result.Output);
        var messages = json.RootElement.GetProperty("messages").GetInt64();
        Assert.True(messages > 0, result.Output);
        Assert.True(messages <= 240 * json.RootElement.GetProperty("clientWallSeconds").GetDouble(), result.Output);
    }

    [Fact]
    public async Task BenchChat_TwoRoomsOnABroker_SaysALineCrossedRooms()
    {
        // A broker sends every line to everyone: a member of room 0 hears room 1's hellos.
        var result = await BenchAgainstAsync(["serve", "broker", "tcp://127.0.0.1:0"],
            "chat", "tcp://127.0.0.1:PORT", "-c", "4", "--rooms", "2", "-d", "0.5", "--connect-timeout", "5");

        Assert.Equal(ExitCodes.Failure, result.ExitCode);
        Assert.Contains("which is not in its room", result.Error);
    }

    [Fact]
    public async Task BenchBroadcast_AgainstServeChat_SaysTheLinesAreNotTheClients()
    {
        // serve chat answers with a welcome of its own: not a line a broker would relay.
        var result = await BenchAgainstAsync(["serve", "chat", "tcp://127.0.0.1:0", "--flood", "0"],
            "broadcast", "tcp://127.0.0.1:PORT", "-c", "3", "-d", "0.5", "--connect-timeout", "5");

        Assert.Equal(ExitCodes.Failure, result.ExitCode);
        Assert.Contains("received a line that is not one sent by another client", result.Error);
    }
}
