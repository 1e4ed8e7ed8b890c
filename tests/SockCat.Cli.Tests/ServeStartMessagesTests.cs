using System.Net;
using System.Net.Sockets;

namespace SockCat.Cli.Tests;

/// <summary>What `serve` says around its start: a failing start says only its error; notes come once it serves.</summary>
public sealed class ServeStartMessagesTests
{
    [Theory]
    [InlineData("tcp")]
    [InlineData("tls")]
    public async Task ServeEcho_PortInUseWithoutQuiet_PrintsOnlyTheError(string scheme)
    {
        using var occupier = new Socket(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp);
        occupier.Bind(new IPEndPoint(IPAddress.Loopback, 0));
        occupier.Listen();
        var port = ((IPEndPoint)occupier.LocalEndPoint!).Port;

        var result = await CliRun.InvokeAsync("serve", "echo", $"{scheme}://127.0.0.1:{port}");

        Assert.Equal(ExitCodes.ListenFailed, result.ExitCode);
        Assert.Equal($"sockcat: {scheme}://127.0.0.1:{port} is already in use; stop the other server or pick another port\n", result.Error);
    }

    [Theory]
    [InlineData(new[] { "--cert", "cert.pem" }, "--cert is")]
    [InlineData(new[] { "--key", "key.pem" }, "--key is")]
    [InlineData(new[] { "--cert", "cert.pem", "--key", "key.pem" }, "--cert and --key are")]
    public async Task ServeEcho_CertificateWithoutTlsEndpoint_WarnsAndServes(string[] certificateOptions, string named)
    {
        using var stop = new CancellationTokenSource();
        var (run, error) = CliRun.Start(new MemoryStream(), stop.Token, ["serve", "echo", "tcp://127.0.0.1:0", .. certificateOptions]);
        var port = await CliRun.WaitForListeningPortAsync(error, run);

        using (var client = new TcpClient())
        {
            await client.ConnectAsync(IPAddress.Loopback, port);
            var stream = client.GetStream();
            await stream.WriteAsync("ping"u8.ToArray());
            var echo = new byte[4];
            await stream.ReadExactlyAsync(echo);
            Assert.Equal("ping"u8.ToArray(), echo);
        }

        await stop.CancelAsync();
        var result = await run.WaitAsync(CliRun.TestTimeout);

        Assert.Equal(ExitCodes.Success, result.ExitCode);
        Assert.Contains($"\nsockcat: {named} only for tls:// endpoints, and none is given; serving without TLS (add e.g. tls://127.0.0.1:4443 to serve TLS too)\n", result.Error);
    }

    [Fact]
    public async Task ServeEcho_Started_FileLimitLineComesAfterListening()
    {
        using var stop = new CancellationTokenSource();
        var (run, error) = CliRun.Start(new MemoryStream(), stop.Token, "serve", "echo", "tcp://127.0.0.1:0");
        await CliRun.WaitForListeningPortAsync(error, run);
        await stop.CancelAsync();
        var result = await run.WaitAsync(CliRun.TestTimeout);

        var lines = result.Error.TrimEnd('\n').Split('\n');
        Assert.StartsWith("sockcat: listening on tcp://127.0.0.1:", lines[0]);
        Assert.Matches(@"^sockcat: open-file limit \d+( \(raised from \d+\))?: room for \d+ clients?$", lines[1]);
        Assert.Matches(@"^sockcat: stopped after [\d.]+ s; served 0 connections, 0 B in, 0 B out$", lines[^1]);
    }
}
