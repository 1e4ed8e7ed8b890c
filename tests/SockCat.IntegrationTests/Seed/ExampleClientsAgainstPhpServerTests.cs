using System.Globalization;

namespace SockCat.IntegrationTests.Seed;

/// <summary>The seed's clients in C# against the seed's own PHP multi-client server, and their error reporting.</summary>
public sealed class ExampleClientsAgainstPhpServerTests
{
    [Fact]
    public async Task SeedSocketClient_AgainstPhpMultiServer_PrintsFirst500EchoedBytesAndServerLogsSeedLines()
    {
        var (server, port) = await StartPhpMultiServerAsync();
        using (server)
        {
            // 512 bytes, not 500: the seed's server echoes with fread($sock, 128) on a buffered PHP stream, and when
            // fewer than 128 bytes of a message are left in that buffer, fread blocks for the rest (or EOF), stalling
            // every client. A multiple of 128 never leaves a tail. The client reads 500 of them (MSG_WAITALL).
            var payload = SeedPeers.Payload(512, "socket");
            var client = PeerProcess.StartDotnet("SeedSocketClient", ["127.0.0.1", Text(port), payload]);
            var (exitCode, stdout, stderr) = await SeedPeers.RunAsync(client);

            Assert.Equal(0, exitCode);
            Assert.Equal("", stderr);
            Assert.Equal(SeedPeers.SocketClientPreamble + payload[..500], stdout);
            await AssertOneClientCameAndWentAsync(server);
        }
    }

    [Fact]
    public async Task SeedStreamClient_AgainstPhpMultiServer_PrintsEchoToEofAndServerLogsSeedLines()
    {
        var (server, port) = await StartPhpMultiServerAsync();
        using (server)
        {
            // Any length works here: the client half-closes after writing, and EOF ends the server's fread too.
            var payload = SeedPeers.Payload(1000, "stream");
            var client = PeerProcess.StartDotnet("SeedStreamClient", [$"tcp://127.0.0.1:{port}", payload]);
            var (exitCode, stdout, stderr) = await SeedPeers.RunAsync(client);

            Assert.Equal(0, exitCode);
            Assert.Equal("", stderr);
            Assert.Equal(payload, stdout);
            await AssertOneClientCameAndWentAsync(server);
        }
    }

    [Fact]
    public async Task SeedSocketClient_ConnectionRefused_PrintsPerrorLineAndExits1()
    {
        using var closed = SeedPeers.BindWithoutListening();

        var client = PeerProcess.StartDotnet("SeedSocketClient", ["127.0.0.1", Text(closed.Port())]);
        var (exitCode, stdout, stderr) = await SeedPeers.RunAsync(client);

        Assert.Equal(1, exitCode);
        Assert.Equal("Socket created\n", stdout);
        Assert.Equal("Could not connect: [111] Connection refused\n", stderr);
    }

    [Fact]
    public async Task SeedStreamClient_ConnectionRefused_PrintsErrstrAndErrnoAndExits1()
    {
        using var closed = SeedPeers.BindWithoutListening();

        var client = PeerProcess.StartDotnet("SeedStreamClient", [$"tcp://127.0.0.1:{closed.Port()}"]);
        var (exitCode, stdout, stderr) = await SeedPeers.RunAsync(client);

        Assert.Equal(1, exitCode);
        Assert.Equal("", stdout);
        Assert.Equal("Connection refused (111)\n", stderr);
    }

    [Fact]
    public async Task SeedStreamClient_BadUrl_PrintsTheParserMessageAndExits2()
    {
        var client = PeerProcess.StartDotnet("SeedStreamClient", ["tcp://127.0.0.1"]);
        var (exitCode, stdout, stderr) = await SeedPeers.RunAsync(client);

        Assert.Equal(2, exitCode);
        Assert.Equal("", stdout);
        Assert.Contains("port", stderr, StringComparison.OrdinalIgnoreCase);
        Assert.DoesNotContain("   at ", stderr, StringComparison.Ordinal);
    }

    internal static Task<(PeerProcess Server, int Port)> StartPhpMultiServerAsync() => SeedPeers.StartPhpServerAsync("multi_server.php");

    internal static async Task AssertOneClientCameAndWentAsync(PeerProcess server)
    {
        var log = await server.WaitForStdoutLinesAsync(3);
        Assert.Equal(3, log.Count);
        Assert.Matches(SeedPeers.AcceptedLine(), log[0]);
        Assert.Equal("Now there are total 1 clients.", log[1]);
        Assert.Equal("A client disconnected. Now there are total 0 clients.", log[2]);
        Assert.Equal("", server.Stderr);
    }

    private static string Text(int port) => port.ToString(CultureInfo.InvariantCulture);
}
