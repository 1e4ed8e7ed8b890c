using System.IO.Pipelines;
using System.Net;
using System.Net.Sockets;

namespace SockCat.Cli.Tests;

/// <summary>`sockcat listen` in process: a test client connects to it.</summary>
public sealed class ListenCommandTests
{
    [Fact]
    public async Task Listen_PortZero_AnnouncesThePortAndJoinsOneClientToStdinAndStdout()
    {
        using var cts = new CancellationTokenSource(CliRun.TestTimeout);
        var fromClient = Enumerable.Range(0, 256).Select(i => (byte)i).ToArray();
        var (run, error) = CliRun.Start(new MemoryStream("from stdin\0\xff"u8.ToArray()), cts.Token, "listen", "tcp://127.0.0.1:0");
        var port = await CliRun.WaitForListeningPortAsync(error, run);

        using var client = new TcpClient();
        await client.ConnectAsync(IPAddress.Loopback, port, cts.Token);
        var stream = client.GetStream();
        // Stdin's end half-closes the listener's side: the client reads it all, then still sends after the listener's FIN.
        var received = new MemoryStream();
        await stream.CopyToAsync(received, cts.Token);
        await stream.WriteAsync(fromClient, cts.Token);
        client.Client.Shutdown(SocketShutdown.Send);
        var result = await run;

        Assert.Equal("from stdin\0\xff"u8.ToArray(), received.ToArray());
        Assert.Equal(fromClient, result.Stdout);
        Assert.Equal(0, result.ExitCode);
        Assert.Equal($"sockcat: listening on tcp://127.0.0.1:{port}\n", result.Error);
        await AssertRefusedAsync(port);
    }

    [Fact]
    public async Task Listen_KeepOpen_ServesClientAfterClientUntilStoppedThenClosesTheSocket()
    {
        using var stop = new CancellationTokenSource();
        using var cts = new CancellationTokenSource(CliRun.TestTimeout);
        var stdout = new Pipe();
        var (run, error) = CliRun.Start(new MemoryStream(), stdout.Writer.AsStream(), stop.Token, "listen", "-k", "tcp://127.0.0.1:0");
        var port = await CliRun.WaitForListeningPortAsync(error, run);
        var printed = stdout.Reader.AsStream();

        foreach (var text in new[] { "first\n", "second\n" })
        {
            using var client = new TcpClient();
            await client.ConnectAsync(IPAddress.Loopback, port, cts.Token);
            var stream = client.GetStream();
            await stream.WriteAsync(System.Text.Encoding.ASCII.GetBytes(text), cts.Token);
            client.Client.Shutdown(SocketShutdown.Send);
            // Stdin is already at its end, so the listener half-closes at once: the client reads end of stream.
            Assert.Equal(0, await stream.ReadAsync(new byte[1], cts.Token));
            var line = new byte[text.Length];
            await printed.ReadExactlyAsync(line, cts.Token);
            Assert.Equal(text, System.Text.Encoding.ASCII.GetString(line));
        }

        await stop.CancelAsync();
        var result = await run.WaitAsync(cts.Token);

        Assert.Equal(0, result.ExitCode);
        await AssertRefusedAsync(port);
    }

    [Fact]
    public async Task Listen_Unix_ServesAClientAndRemovesTheSocketFile()
    {
        using var cts = new CancellationTokenSource(CliRun.TestTimeout);
        var path = Path.Combine(Path.GetTempPath(), $"sockcat-listen-{Guid.NewGuid():N}.sock");
        var (run, _) = CliRun.Start(new MemoryStream("hi"u8.ToArray()), cts.Token, "listen", $"unix://{path}");
        var deadline = DateTime.UtcNow + CliRun.TestTimeout;
        while (!File.Exists(path) && DateTime.UtcNow < deadline && !run.IsCompleted)
        {
            await Task.Delay(20, cts.Token);
        }

        using (var client = new Socket(AddressFamily.Unix, SocketType.Stream, ProtocolType.Unspecified))
        {
            await client.ConnectAsync(new UnixDomainSocketEndPoint(path), cts.Token);
            await using var stream = new NetworkStream(client);
            await stream.WriteAsync("hello"u8.ToArray(), cts.Token);
            client.Shutdown(SocketShutdown.Send);
            var received = new MemoryStream();
            await stream.CopyToAsync(received, cts.Token);
            Assert.Equal("hi"u8.ToArray(), received.ToArray());
        }

        var result = await run;
        Assert.Equal((0, "hello"), (result.ExitCode, result.StdoutText));
        Assert.False(File.Exists(path));
    }

    [Fact]
    public async Task Listen_PortInUse_ExitsListenFailedWithOneLine()
    {
        using var taken = new TcpListener(IPAddress.Loopback, 0);
        taken.Start();
        var port = ((IPEndPoint)taken.LocalEndpoint).Port;

        var result = await CliRun.InvokeAsync("listen", $"tcp://127.0.0.1:{port}");

        Assert.Equal(ExitCodes.ListenFailed, result.ExitCode);
        Assert.Equal($"sockcat: tcp://127.0.0.1:{port} is already in use (EADDRINUSE); stop the program using it or pick another address (port 0 picks a free port)\n", result.Error);
    }

    private static async Task AssertRefusedAsync(int port)
    {
        using var probe = new Socket(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp);
        var ex = await Assert.ThrowsAsync<SocketException>(() => probe.ConnectAsync(IPAddress.Loopback, port));
        Assert.Equal(SocketError.ConnectionRefused, ex.SocketErrorCode);
    }
}
