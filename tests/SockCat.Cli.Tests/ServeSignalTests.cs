using System.Net;
using System.Net.Sockets;

namespace SockCat.Cli.Tests;

/// <summary>Stopping `serve` as a person does, with real signals to the real process.</summary>
[System.Runtime.Versioning.UnsupportedOSPlatform("windows")]
public sealed class ServeSignalTests
{
    /// <summary>
    /// A drain of 600 s that ends well inside the test's time limit can only have been ended by the second signal;
    /// the summary line still comes and the exit code is 0.
    /// </summary>
    [Theory]
    [InlineData(Signals.SigInt)]
    [InlineData(Signals.SigTerm)]
    public async Task ServeEcho_SignalWithClients_SaysDrainingAndSecondSignalClosesThem(int signal)
    {
        using var cts = new CancellationTokenSource(CliRun.TestTimeout);
        await using var serve = SockcatProcess.Start(["serve", "echo", "--drain", "600", "tcp://127.0.0.1:0"]);
        var announced = await serve.Stderr.ReadLineAsync(cts.Token);
        Assert.StartsWith("sockcat: listening on tcp://127.0.0.1:", announced);
        var port = int.Parse(announced!["sockcat: listening on tcp://127.0.0.1:".Length..]);

        var clients = new List<TcpClient>();
        try
        {
            for (var i = 0; i < 2; i++)
            {
                // An echo back means the server holds the connection: it is one of those to drain.
                var client = new TcpClient();
                clients.Add(client);
                await client.ConnectAsync(IPAddress.Loopback, port, cts.Token);
                await client.GetStream().WriteAsync("x"u8.ToArray(), cts.Token);
                await client.GetStream().ReadExactlyAsync(new byte[1], cts.Token);
            }

            Signals.Send(serve.Id, signal);
            string? line;
            while ((line = await serve.Stderr.ReadLineAsync(cts.Token)) is not null && !line.Contains("draining", StringComparison.Ordinal))
            {
            }

            Assert.Equal("sockcat: draining 2 connections for up to 600 s (Ctrl+C again to close them now)", line);
            Signals.Send(serve.Id, signal);
            var (code, _, rest) = await serve.WaitAsync();

            Assert.Equal(ExitCodes.Success, code);
            Assert.Matches(@"^sockcat: stopped after [\d.]+ s; served 2 connections, 2 B in, 2 B out$", rest.TrimEnd('\n').Split('\n')[^1]);
            foreach (var client in clients)
            {
                // Closed by the server: end of stream, not a hang.
                Assert.Equal(0, await client.GetStream().ReadAsync(new byte[1], cts.Token));
            }
        }
        finally
        {
            clients.ForEach(c => c.Dispose());
        }
    }

    [Fact]
    public async Task ServeEcho_SignalWithoutClients_StopsWithoutDrainingLine()
    {
        await using var serve = SockcatProcess.Start(["serve", "echo", "--drain", "600", "tcp://127.0.0.1:0"]);
        var announced = await serve.Stderr.ReadLineAsync();
        Assert.StartsWith("sockcat: listening on tcp://127.0.0.1:", announced);

        Signals.Send(serve.Id, Signals.SigInt);
        var (code, _, rest) = await serve.WaitAsync();

        Assert.Equal(ExitCodes.Success, code);
        Assert.DoesNotContain("draining", rest);
        Assert.Contains("; served 0 connections, 0 B in, 0 B out\n", rest);
    }
}
