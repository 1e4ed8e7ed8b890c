using System.Diagnostics;
using System.Net;
using System.Net.Sockets;

namespace SockCat.Cli.Tests;

/// <summary>
/// `connect` and `listen` stopped by a signal exit 128 + its number, as nc and a shell do (130 for SIGINT, 143 for
/// SIGTERM): a transfer cut short may be incomplete, so `sockcat … &amp;&amp; next` must not go on. Real signals to a real process.
/// </summary>
[System.Runtime.Versioning.UnsupportedOSPlatform("windows")]
public sealed class SignalTests
{
    [Theory]
    [InlineData(Signals.SigInt, 130)]
    [InlineData(Signals.SigTerm, 143)]
    public async Task Connect_StoppedByASignal_Exits128PlusItsNumber(int signal, int expected)
    {
        using var cts = new CancellationTokenSource(CliRun.TestTimeout);
        using var listener = new TcpListener(IPAddress.Loopback, 0);
        listener.Start();
        await using var sockcat = SockcatProcess.Start(["connect", $"tcp://127.0.0.1:{((IPEndPoint)listener.LocalEndpoint).Port}"]);
        using var client = await listener.AcceptSocketAsync(cts.Token);
        // Once a byte from stdin has come through, sockcat is past connecting and bridging.
        await sockcat.Stdin.WriteAsync("x"u8.ToArray(), cts.Token);
        await sockcat.Stdin.FlushAsync(cts.Token);
        Assert.Equal(1, await client.ReceiveAsync(new byte[1], cts.Token));

        Signals.Send(sockcat.Id, signal);
        var (code, _, stderr) = await sockcat.WaitAsync();

        Assert.Equal((expected, ""), (code, stderr));
    }

    [Theory]
    [InlineData(Signals.SigInt, 130)]
    [InlineData(Signals.SigTerm, 143)]
    public async Task Listen_StoppedByASignalWhileWaiting_Exits128PlusItsNumber(int signal, int expected)
    {
        await using var sockcat = SockcatProcess.Start(["listen", "tcp://127.0.0.1:0"]);
        await BridgeEndTests.ReadListeningPortAsync(sockcat);

        Signals.Send(sockcat.Id, signal);
        var (code, _, stderr) = await sockcat.WaitAsync();

        Assert.Equal((expected, ""), (code, stderr));
    }

    [Theory]
    [InlineData(Signals.SigInt)]
    [InlineData(Signals.SigTerm)]
    public async Task Listen_UnixStoppedByASignal_RemovesItsSocketFileSoTheNextListenWorks(int signal)
    {
        var path = Path.Combine(Path.GetTempPath(), $"sockcat-signal-{Guid.NewGuid():N}.sock");
        try
        {
            await using (var first = SockcatProcess.Start(["listen", $"unix://{path}"]))
            {
                await WaitForFileAsync(path);
                Signals.Send(first.Id, signal);
                await first.WaitAsync();
            }

            Assert.False(File.Exists(path));
            await using var second = SockcatProcess.Start(["listen", $"unix://{path}"]);
            await WaitForFileAsync(path);
            using var client = new Socket(AddressFamily.Unix, SocketType.Stream, ProtocolType.Unspecified);
            await client.ConnectAsync(new UnixDomainSocketEndPoint(path));
        }
        finally
        {
            File.Delete(path);
        }
    }

    [Fact]
    public async Task Connect_StdoutReaderGoesAway_ExitsAsSigpipeWouldWithNothingOnStderr()
    {
        using var cts = new CancellationTokenSource(CliRun.TestTimeout);
        using var listener = new TcpListener(IPAddress.Loopback, 0);
        listener.Start();
        var server = Task.Run(async () =>
        {
            // A server with a lot to say: it writes until the connection breaks.
            using var client = await listener.AcceptSocketAsync(cts.Token);
            var chunk = new byte[64 * 1024];
            try
            {
                while (true)
                {
                    await client.SendAsync(chunk, cts.Token);
                }
            }
            catch (SocketException)
            {
            }
        });

        var (code, stderr) = await RunInBashAsync(
            $"set -o pipefail; dotnet {SockcatProcess.Dll} connect tcp://127.0.0.1:{((IPEndPoint)listener.LocalEndpoint).Port} </dev/null | head -c 10 >/dev/null",
            cts.Token);
        await server.WaitAsync(cts.Token);

        Assert.Equal((141, ""), (code, stderr));
    }

    [Fact]
    public async Task Connect_StdoutCannotBeWritten_ExitsFailureWithOneLine()
    {
        using var cts = new CancellationTokenSource(CliRun.TestTimeout);
        using var listener = new TcpListener(IPAddress.Loopback, 0);
        listener.Start();
        var server = Task.Run(async () =>
        {
            using var client = await listener.AcceptSocketAsync(cts.Token);
            await client.SendAsync("hello\n"u8.ToArray(), cts.Token);
            await client.ReceiveAsync(new byte[1], cts.Token);
        });

        var (code, stderr) = await RunInBashAsync(
            $"dotnet {SockcatProcess.Dll} connect tcp://127.0.0.1:{((IPEndPoint)listener.LocalEndpoint).Port} </dev/null >/dev/full",
            cts.Token);
        await server.WaitAsync(cts.Token);

        Assert.Equal((ExitCodes.Failure, "sockcat: cannot write to stdout: No space left on device (ENOSPC); check where stdout goes\n"), (code, stderr));
    }

    private static async Task WaitForFileAsync(string path)
    {
        using var cts = new CancellationTokenSource(CliRun.TestTimeout);
        while (!File.Exists(path))
        {
            await Task.Delay(20, cts.Token);
        }
    }

    private static async Task<(int Code, string Stderr)> RunInBashAsync(string script, CancellationToken cancellationToken)
    {
        var info = new ProcessStartInfo("bash", ["-c", script]) { RedirectStandardError = true, UseShellExecute = false };
        info.Environment["DOTNET_NOLOGO"] = "1";
        using var process = Process.Start(info)!;
        try
        {
            var stderr = await process.StandardError.ReadToEndAsync(cancellationToken);
            await process.WaitForExitAsync(cancellationToken);
            return (process.ExitCode, stderr);
        }
        finally
        {
            if (!process.HasExited)
            {
                process.Kill(entireProcessTree: true);
            }
        }
    }
}
