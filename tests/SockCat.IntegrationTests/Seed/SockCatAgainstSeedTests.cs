using System.Globalization;
using System.Text;
using System.Text.RegularExpressions;

namespace SockCat.IntegrationTests.Seed;

/// <summary>
/// SockCat against the seed's own PHP programs: its clients against `sockcat serve echo`, and `sockcat connect`
/// against its multi-client server. `sockcat` runs as a process, from the sockcat.dll beside the tests.
/// </summary>
public sealed partial class SockCatAgainstSeedTests
{
    [GeneratedRegex(@"listening on tcp://127\.0\.0\.1:(\d+)")]
    private static partial Regex ListeningOn();

    [Theory]
    [InlineData(PhpClients.SocketClient)]
    [InlineData(PhpClients.StreamClient)]
    [InlineData(PhpClients.FsockopenClient)]
    public async Task PhpClient_AgainstSockCatServeEcho_GetsItsBytesBackAndServerLogsSeedLines(string script)
    {
        using var server = PeerProcess.StartDotnet("SockCat.Cli", ["serve", "echo", "tcp://127.0.0.1:0"]);
        var port = await server.WaitForAsync(
            () => ListeningOn().Match(server.Stderr) is { Success: true } m ? m.Groups[1].Value : null, "listening line on stderr");

        var (client, _, expected) = PhpClients.Start(script, int.Parse(port, CultureInfo.InvariantCulture));
        var (exitCode, stdout, stderr) = await SeedPeers.RunAsync(client);

        Assert.Equal(0, exitCode);
        Assert.Equal("", stderr);
        Assert.Equal(expected, stdout);

        var log = await server.WaitForStdoutLinesAsync(3);
        Assert.Equal(3, log.Count);
        Assert.Matches(SeedPeers.AcceptedLine(), log[0]);
        Assert.Equal("Now there are total 1 clients.", log[1]);
        Assert.Equal("A client disconnected. Now there are total 0 clients.", log[2]);
    }

    [Fact]
    public async Task SockCatConnect_AgainstPhpMultiServer_CopiesStdinThereAndEchoBackAndExits0()
    {
        var (server, port) = await ExampleClientsAgainstPhpServerTests.StartPhpMultiServerAsync();
        using (server)
        {
            // Any length: on stdin EOF sockcat half-closes, the PHP server's fread sees EOF, echoes the rest and closes.
            var payload = Encoding.UTF8.GetBytes(SeedPeers.Payload(3000, "sockcat connect"));
            using var client = PeerProcess.StartDotnet("SockCat.Cli", ["connect", $"tcp://127.0.0.1:{port}"], redirectStdin: true);
            await client.WriteStdinAndCloseAsync(payload);

            Assert.Equal(0, await client.WaitForExitAsync());
            Assert.Equal(Encoding.UTF8.GetString(payload), client.Stdout);
            await ExampleClientsAgainstPhpServerTests.AssertOneClientCameAndWentAsync(server);
        }
    }
}
