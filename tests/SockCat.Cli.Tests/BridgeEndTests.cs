using System.Diagnostics;
using System.Net;
using System.Net.Sockets;
using System.Security.Cryptography;
using System.Text;

namespace SockCat.Cli.Tests;

/// <summary>
/// Each direction of `connect` and `listen` ends on its own: the peer's FIN ends receiving only, stdin's end ends sending
/// only, and sockcat ends when both have. Real processes and pipes where the race lives in them.
/// </summary>
[System.Runtime.Versioning.UnsupportedOSPlatform("windows")]
public sealed class BridgeEndTests
{
    private const int MiB = 1024 * 1024;

    [Fact]
    public async Task Connect_ServerSendsABannerThenHalfCloses_StillDeliversAll50MBAndExits0()
    {
        using var cts = new CancellationTokenSource(CliRun.TestTimeout);
        var upload = RandomNumberGenerator.GetBytes(50 * MiB);
        using var listener = new TcpListener(IPAddress.Loopback, 0);
        listener.Start();
        var server = Task.Run(async () =>
        {
            // As an SMTP-like server that greets, says it has nothing more to say, and keeps reading.
            using var client = await listener.AcceptSocketAsync(cts.Token);
            var stream = new NetworkStream(client);
            await client.SendAsync("220 ready\r\n"u8.ToArray(), cts.Token);
            client.Shutdown(SocketShutdown.Send);
            return await HashToEndAsync(stream, cts.Token);
        });

        var (code, stdout, stderr) = await SockcatProcess.RunAsync(upload, ["connect", $"tcp://127.0.0.1:{Port(listener)}"]);
        var (count, hash) = await server;

        Assert.Equal((0, ""), (code, stderr));
        Assert.Equal("220 ready\r\n", Encoding.ASCII.GetString(stdout));
        Assert.Equal(upload.Length, count);
        Assert.Equal(SHA256.HashData(upload), hash);
    }

    [Fact]
    public async Task Listen_StdinAlreadyAtItsEnd_ReceivesAWholeUploadFromSockcatConnect()
    {
        var upload = RandomNumberGenerator.GetBytes(4 * MiB);
        await using var listen = SockcatProcess.Start(["listen", "tcp://127.0.0.1:0"]);
        // As `sockcat listen ... </dev/null > file` under cron or nohup.
        listen.Stdin.Close();
        var port = await ReadListeningPortAsync(listen);

        var client = await SockcatProcess.RunAsync(upload, ["connect", $"tcp://127.0.0.1:{port}"]);
        var server = await listen.WaitAsync();

        Assert.Equal((0, ""), (client.ExitCode, client.Stderr));
        Assert.Empty(client.Stdout);
        Assert.Equal((0, ""), (server.ExitCode, server.Stderr.Replace($"sockcat: listening on tcp://127.0.0.1:{port}\n", "")));
        Assert.Equal(upload.Length, server.Stdout.Length);
        Assert.Equal(SHA256.HashData(upload), SHA256.HashData(server.Stdout));
    }

    [Fact]
    public async Task Listen_GreetingWaitingOnStdin_ReachesAClientThatHalfClosesAtOnce_EveryTime()
    {
        for (var run = 0; run < 10; run++)
        {
            using var cts = new CancellationTokenSource(CliRun.TestTimeout);
            // A console's reads complete on another thread, so stdin here answers asynchronously too.
            var (listen, error) = CliRun.Start(new AsyncReadStream("welcome\n"u8.ToArray()), cts.Token, "listen", "tcp://127.0.0.1:0");
            var port = await CliRun.WaitForListeningPortAsync(error, listen);
            using var client = new Socket(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp);
            await client.ConnectAsync(IPAddress.Loopback, port, cts.Token);
            // The client has nothing to say: its FIN is there before the greeting is sent.
            var stream = new NetworkStream(client);
            client.Shutdown(SocketShutdown.Send);
            var received = new MemoryStream();
            await stream.CopyToAsync(received, cts.Token);
            var result = await listen;

            Assert.Equal("welcome\n", Encoding.ASCII.GetString(received.ToArray()));
            Assert.Equal((0, $"sockcat: listening on tcp://127.0.0.1:{port}\n"), (result.ExitCode, error.Text));
        }
    }

    [Fact]
    public async Task Connect_ServerHalfClosesThenResetsMidUpload_ExitsConnectionLostNotSuccess()
    {
        using var cts = new CancellationTokenSource(CliRun.TestTimeout);
        using var listener = new TcpListener(IPAddress.Loopback, 0);
        listener.Start();
        var server = Task.Run(async () =>
        {
            using var client = await listener.AcceptSocketAsync(cts.Token);
            var buffer = new byte[64 * 1024];
            for (var total = 0; total < MiB;)
            {
                total += await client.ReceiveAsync(buffer, cts.Token);
            }

            // It says goodbye (FIN) and reads on, then drops the rest of the upload: close with linger 0 sends RST. A
            // client that gave up at the FIN (the bug) sent far less than this more, and closed.
            client.Shutdown(SocketShutdown.Send);
            try
            {
                for (int total = 0, n = 1; total < 16 * MiB && n > 0; total += n)
                {
                    n = await client.ReceiveAsync(buffer, cts.Token);
                }
            }
            catch (SocketException)
            {
            }

            client.LingerState = new LingerOption(true, 0);
        });

        var result = await CliRun.InvokeAsync(new EndlessStream(), "connect", $"tcp://127.0.0.1:{Port(listener)}");
        await server;

        Assert.Equal(ExitCodes.ConnectionLost, result.ExitCode);
        Assert.True(System.Text.RegularExpressions.Regex.IsMatch(result.Error, $"^sockcat: the connection to tcp://127.0.0.1:{Port(listener)} (was reset by the peer \\(ECONNRESET\\)|was closed by the peer while sending \\(EPIPE\\))\n$"), result.Error);
    }

    internal static async Task<int> ReadListeningPortAsync(SockcatProcess process)
    {
        using var cts = new CancellationTokenSource(CliRun.TestTimeout);
        const string Prefix = "sockcat: listening on tcp://127.0.0.1:";
        var line = await process.Stderr.ReadLineAsync(cts.Token);
        Assert.StartsWith(Prefix, line);
        return int.Parse(line![Prefix.Length..]);
    }

    private static async Task<(long Count, byte[] Hash)> HashToEndAsync(Stream stream, CancellationToken cancellationToken)
    {
        using var hash = IncrementalHash.CreateHash(HashAlgorithmName.SHA256);
        var buffer = new byte[64 * 1024];
        long count = 0;
        int n;
        while ((n = await stream.ReadAsync(buffer, cancellationToken)) > 0)
        {
            hash.AppendData(buffer, 0, n);
            count += n;
        }

        return (count, hash.GetHashAndReset());
    }

    private static int Port(TcpListener listener) => ((IPEndPoint)listener.LocalEndpoint).Port;

    /// <summary>Stdin whose bytes are there at once but whose reads complete asynchronously, as a console's do.</summary>
    private sealed class AsyncReadStream(byte[] data) : MemoryStream(data)
    {
        public override async ValueTask<int> ReadAsync(Memory<byte> buffer, CancellationToken cancellationToken = default)
        {
            await Task.Yield();
            return Read(buffer.Span);
        }

        public override Task<int> ReadAsync(byte[] buffer, int offset, int count, CancellationToken cancellationToken) =>
            ReadAsync(buffer.AsMemory(offset, count), cancellationToken).AsTask();
    }

    /// <summary>An upload that never ends by itself.</summary>
    private sealed class EndlessStream : Stream
    {
        public override bool CanRead => true;

        public override bool CanSeek => false;

        public override bool CanWrite => false;

        public override long Length => throw new NotSupportedException();

        public override long Position { get => throw new NotSupportedException(); set => throw new NotSupportedException(); }

        public override int Read(byte[] buffer, int offset, int count)
        {
            buffer.AsSpan(offset, count).Fill((byte)'x');
            return count;
        }

        public override void Flush()
        {
        }

        public override long Seek(long offset, SeekOrigin origin) => throw new NotSupportedException();

        public override void SetLength(long value) => throw new NotSupportedException();

        public override void Write(byte[] buffer, int offset, int count) => throw new NotSupportedException();
    }
}
