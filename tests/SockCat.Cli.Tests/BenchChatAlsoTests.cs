using System.Text.Json;
using SockCat.Cli;
using SockCat.Redis.Tests;

namespace SockCat.Cli.Tests;

/// <summary>`bench chat URL --also URL`: one load generator over several nodes of one chat.</summary>
public sealed class BenchChatAlsoTests
{
    [Fact]
    public async Task BenchChat_AlsoTwoNodesOverRedis_EveryLineVerifiedAcrossNodes()
    {
        await using var redis = await RedisServer.StartAsync();
        using var stop = new CancellationTokenSource();
        var (runOne, errorOne) = CliRun.Start(new MemoryStream(), stop.Token, "serve", "chat", "tcp://127.0.0.1:0", "--flood", "0", "--redis", redis.Url);
        var (runTwo, errorTwo) = CliRun.Start(new MemoryStream(), stop.Token, "serve", "chat", "tcp://127.0.0.1:0", "--flood", "0", "--redis", redis.Url);
        var one = await CliRun.WaitForListeningPortAsync(errorOne, runOne);
        var two = await CliRun.WaitForListeningPortAsync(errorTwo, runTwo);

        var result = await CliRun.InvokeAsync("bench", "chat", $"tcp://127.0.0.1:{one}", "--also", $"tcp://127.0.0.1:{two}",
            "-c", "6", "--rooms", "1", "-d", "0.5", "--warmup", "0.2", "--json", "--no-progress");

        Assert.True(result.ExitCode == ExitCodes.Success, result.Error);
        using var json = JsonDocument.Parse(result.Output);
        Assert.Equal($"tcp://127.0.0.1:{two}", json.RootElement.GetProperty("also")[0].GetString());
        Assert.True(json.RootElement.GetProperty("messages").GetInt64() > 0, result.Output);
        stop.Cancel();
        await runOne;
        await runTwo;
    }

    [Fact]
    public async Task BenchChat_AlsoANodeOfAnotherChat_ItsUsersHearNoOneAndTheRunFails()
    {
        // Two chats that do not know each other: half the users land on the second, where the first's hellos never arrive.
        using var stop = new CancellationTokenSource();
        var (runOne, errorOne) = CliRun.Start(new MemoryStream(), stop.Token, "serve", "chat", "tcp://127.0.0.1:0", "--flood", "0");
        var (runTwo, errorTwo) = CliRun.Start(new MemoryStream(), stop.Token, "serve", "chat", "tcp://127.0.0.1:0", "--flood", "0");
        var one = await CliRun.WaitForListeningPortAsync(errorOne, runOne);
        var two = await CliRun.WaitForListeningPortAsync(errorTwo, runTwo);

        var result = await CliRun.InvokeAsync("bench", "chat", $"tcp://127.0.0.1:{one}", "--also", $"tcp://127.0.0.1:{two}",
            "-c", "4", "--rooms", "1", "-d", "0.5", "--connect-timeout", "1", "--no-progress");

        Assert.Equal(ExitCodes.Failure, result.ExitCode);
        Assert.Contains("had heard no other member of their room", result.Error);
        stop.Cancel();
        await runOne;
        await runTwo;
    }

    [Fact]
    public async Task BenchPingPong_Also_IsNotAnOption()
    {
        var result = await CliRun.InvokeAsync("bench", "pingpong", "tcp://127.0.0.1:4444", "--also", "tcp://127.0.0.1:4445");

        Assert.NotEqual(ExitCodes.Success, result.ExitCode);
        Assert.Contains("--also", result.Error);
    }
}
