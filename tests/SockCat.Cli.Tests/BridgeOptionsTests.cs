using System.IO.Pipelines;
using System.Net;
using System.Net.Sockets;
using System.Text;

namespace SockCat.Cli.Tests;

/// <summary>The nc habits on `connect` and `listen`: -v, --send-only, --recv-only, -q, --no-shutdown.</summary>
public sealed class BridgeOptionsTests
{
    [Fact]
    public async Task Connect_Verbose_SaysWhereItConnectedAndTheBytesEachWay()
    {
        using var cts = new CancellationTokenSource(CliRun.TestTimeout);
        using var listener = new TcpListener(IPAddress.Loopback, 0);
        listener.Start();
        var server = Task.Run(async () =>
        {
            using var client = await listener.AcceptTcpClientAsync(cts.Token);
            var stream = client.GetStream();
            await stream.CopyToAsync(Stream.Null, cts.Token);
            await stream.WriteAsync("pong!\n"u8.ToArray(), cts.Token);
        });

        var result = await CliRun.InvokeAsync("ping\n"u8.ToArray(), "connect", "-v", $"tcp://127.0.0.1:{Port(listener)}");
        await server;

        Assert.Equal((0, "pong!\n"), (result.ExitCode, result.StdoutText));
        Assert.Equal($"sockcat: connected to tcp://127.0.0.1:{Port(listener)} (127.0.0.1:{Port(listener)})\nsockcat: 5 bytes sent, 6 bytes received\n", result.Error);
    }

    [Fact]
    public async Task Listen_Verbose_SaysWhereItListensWhoConnectedAndTheBytesEachWay()
    {
        using var cts = new CancellationTokenSource(CliRun.TestTimeout);
        var (run, error) = CliRun.Start(new MemoryStream("abc"u8.ToArray()), cts.Token, "listen", "--verbose", "tcp://127.0.0.1:0");
        var port = await CliRun.WaitForListeningPortAsync(error, run);

        using var client = new TcpClient();
        await client.ConnectAsync(IPAddress.Loopback, port, cts.Token);
        var stream = client.GetStream();
        await stream.WriteAsync("hi"u8.ToArray(), cts.Token);
        client.Client.Shutdown(SocketShutdown.Send);
        await stream.CopyToAsync(Stream.Null, cts.Token);
        var result = await run;

        Assert.Equal((0, "hi"), (result.ExitCode, result.StdoutText));
        Assert.Equal(
            $"sockcat: listening on tcp://127.0.0.1:{port}\nsockcat: connection from 127.0.0.1:{((IPEndPoint)client.Client.LocalEndPoint!).Port}\nsockcat: 3 bytes sent, 2 bytes received\n",
            result.Error);
    }

    [Fact]
    public async Task Connect_SendOnly_DiscardsWhatTheServerSaysAndEndsOnceStdinIsSent()
    {
        using var cts = new CancellationTokenSource(CliRun.TestTimeout);
        using var listener = new TcpListener(IPAddress.Loopback, 0);
        listener.Start();
        var serverMayGo = new TaskCompletionSource();
        var server = Task.Run(async () =>
        {
            // It talks, reads the upload to its end, and never closes until the test is over.
            using var client = await listener.AcceptTcpClientAsync(cts.Token);
            var stream = client.GetStream();
            await stream.WriteAsync("banner\n"u8.ToArray(), cts.Token);
            var received = new MemoryStream();
            await stream.CopyToAsync(received, cts.Token);
            await serverMayGo.Task.WaitAsync(cts.Token);
            return received.ToArray();
        });

        var result = await CliRun.InvokeAsync("upload"u8.ToArray(), "connect", "--send-only", $"tcp://127.0.0.1:{Port(listener)}");
        serverMayGo.SetResult();

        Assert.Equal((0, "", ""), (result.ExitCode, result.StdoutText, result.Error));
        Assert.Equal("upload"u8.ToArray(), await server);
    }

    [Fact]
    public async Task Connect_RecvOnly_NeverReadsStdinAndEndsWhenTheServerCloses()
    {
        using var cts = new CancellationTokenSource(CliRun.TestTimeout);
        using var listener = new TcpListener(IPAddress.Loopback, 0);
        listener.Start();
        var server = Task.Run(async () =>
        {
            using var client = await listener.AcceptSocketAsync(cts.Token);
            await client.SendAsync("news\n"u8.ToArray(), cts.Token);
        });

        var result = await CliRun.InvokeAsync(new UnreadableStream(), "connect", "--recv-only", $"tcp://127.0.0.1:{Port(listener)}");
        await server;

        Assert.Equal((0, "news\n", ""), (result.ExitCode, result.StdoutText, result.Error));
    }

    [Theory]
    [InlineData("0")]
    [InlineData("0.2")]
    public async Task Connect_QuitAfter_EndsAfterStdinEvenThoughTheServerNeverCloses(string seconds)
    {
        using var cts = new CancellationTokenSource(CliRun.TestTimeout);
        using var listener = new TcpListener(IPAddress.Loopback, 0);
        listener.Start();
        var serverMayGo = new TaskCompletionSource();
        var server = Task.Run(async () =>
        {
            using var client = await listener.AcceptTcpClientAsync(cts.Token);
            var stream = client.GetStream();
            var received = new MemoryStream();
            await stream.CopyToAsync(received, cts.Token);
            await serverMayGo.Task.WaitAsync(cts.Token);
            return received.ToArray();
        });

        var result = await CliRun.InvokeAsync("bye\n"u8.ToArray(), "connect", "-q", seconds, $"tcp://127.0.0.1:{Port(listener)}");
        serverMayGo.SetResult();

        Assert.Equal((0, ""), (result.ExitCode, result.Error));
        Assert.Equal("bye\n"u8.ToArray(), await server);
    }

    [Fact]
    public async Task Connect_QuitAfterNegative_IsAUsageError()
    {
        var result = await CliRun.InvokeAsync("connect", "-q", "-1", "tcp://127.0.0.1:1");

        Assert.Equal(ExitCodes.Usage, result.ExitCode);
        Assert.Equal("sockcat: -q/--quit-after: -1 is too small; give 0 seconds or more, e.g. -q 2.5\n", result.Error);
    }

    [Fact]
    public async Task Connect_SendOnlyAndRecvOnly_IsAUsageError()
    {
        var result = await CliRun.InvokeAsync("connect", "--send-only", "--recv-only", "tcp://127.0.0.1:1");

        Assert.Equal((ExitCodes.Usage, "sockcat: --send-only and --recv-only exclude each other; give one of them\n"), (result.ExitCode, result.Error));
    }

    [Fact]
    public async Task Connect_SendTextWithRecvOnly_IsAUsageError()
    {
        var result = await CliRun.InvokeAsync("connect", "--send", "hi", "--recv-only", "tcp://127.0.0.1:1");

        Assert.Equal((ExitCodes.Usage, "sockcat: --send and --recv-only exclude each other: --recv-only sends nothing; give one of them\n"), (result.ExitCode, result.Error));
    }

    [Theory]
    [InlineData(false)]
    [InlineData(true)]
    public async Task Connect_NoShutdown_KeepsTheConnectionOpenBothWaysAfterStdinEnds(bool noShutdown)
    {
        using var cts = new CancellationTokenSource(CliRun.TestTimeout);
        using var listener = new TcpListener(IPAddress.Loopback, 0);
        listener.Start();
        var stdout = new Pipe();
        var replyPrinted = new TaskCompletionSource();
        var server = Task.Run(async () =>
        {
            using var client = await listener.AcceptSocketAsync(cts.Token);
            var hello = new byte[5];
            await new NetworkStream(client).ReadExactlyAsync(hello, cts.Token);
            await client.SendAsync("reply\n"u8.ToArray(), cts.Token);
            // sockcat printed the reply, so its stdin ("hello") was long done: had it half-closed, the FIN is here.
            await replyPrinted.Task.WaitAsync(cts.Token);
            var finArrived = client.Poll(0, SelectMode.SelectRead) && client.Available == 0;
            client.Shutdown(SocketShutdown.Send);
            return finArrived;
        });
        string[] args = ["connect", $"tcp://127.0.0.1:{Port(listener)}", .. noShutdown ? new[] { "--no-shutdown" } : []];
        var (run, error) = CliRun.Start(new MemoryStream("hello"u8.ToArray()), stdout.Writer.AsStream(), cts.Token, args);
        var reply = new byte[6];
        await stdout.Reader.AsStream().ReadExactlyAsync(reply, cts.Token);
        replyPrinted.SetResult();

        Assert.Equal(!noShutdown, await server);
        Assert.Equal((0, ""), ((await run).ExitCode, error.Text));
        Assert.Equal("reply\n", Encoding.ASCII.GetString(reply));
    }

    private static int Port(TcpListener listener) => ((IPEndPoint)listener.LocalEndpoint).Port;

    /// <summary>Stdin that must not be read.</summary>
    private sealed class UnreadableStream : MemoryStream
    {
        public override ValueTask<int> ReadAsync(Memory<byte> buffer, CancellationToken cancellationToken = default) =>
            throw new InvalidOperationException("stdin was read");

        public override Task<int> ReadAsync(byte[] buffer, int offset, int count, CancellationToken cancellationToken) =>
            throw new InvalidOperationException("stdin was read");
    }
}
