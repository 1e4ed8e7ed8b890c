namespace SockCat.IntegrationTests.Seed;

/// <summary>The seed's PHP clients, unchanged but for host, port and message, against the seed's servers in C#.</summary>
public sealed class PhpClientsAgainstExampleServersTests
{
    [Theory]
    [InlineData(PhpClients.SocketClient)]
    [InlineData(PhpClients.StreamClient)]
    [InlineData(PhpClients.FsockopenClient)]
    public async Task PhpClient_AgainstMultiEchoServer_GetsItsBytesBackAndServerLogsSeedLines(string script)
    {
        var (server, port) = await SeedPeers.StartExampleServerAsync("SeedMultiEchoServer");
        using (server)
        {
            await AssertClientGetsItsBytesBackAsync(script, port);

            var log = await server.WaitForStdoutLinesAsync(4);
            Assert.Equal(4, log.Count);
            Assert.Matches(SeedPeers.AcceptedLine(), log[1]);
            Assert.Equal("Now there are total 1 clients.", log[2]);
            Assert.Equal("A client disconnected. Now there are total 0 clients.", log[3]);
        }
    }

    [Theory]
    [InlineData(PhpClients.SocketClient)]
    [InlineData(PhpClients.StreamClient)]
    [InlineData(PhpClients.FsockopenClient)]
    public async Task PhpClient_AgainstSingleEchoServer_GetsItsBytesBackAndServerLogsAccept(string script)
    {
        var (server, port) = await SeedPeers.StartExampleServerAsync("SeedSingleEchoServer");
        using (server)
        {
            await AssertClientGetsItsBytesBackAsync(script, port);

            var log = await server.WaitForStdoutLinesAsync(2);
            Assert.Equal(2, log.Count);
            Assert.Matches(SeedPeers.AcceptedLine(), log[1]);
        }
    }

    private static async Task AssertClientGetsItsBytesBackAsync(string script, int port)
    {
        var (client, _, expected) = PhpClients.Start(script, port);
        var (exitCode, stdout, stderr) = await SeedPeers.RunAsync(client);

        Assert.Equal(0, exitCode);
        Assert.Equal("", stderr);
        Assert.Equal(expected, stdout);
    }
}
