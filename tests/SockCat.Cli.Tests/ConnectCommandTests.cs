using SockCat.Testing;
using System.IO.Pipelines;
using System.Net;
using System.Net.Security;
using System.Net.Sockets;
using System.Security.Cryptography;
using System.Text;

namespace SockCat.Cli.Tests;

/// <summary>`sockcat connect` in process, against small servers written in the test.</summary>
public sealed class ConnectCommandTests
{
    [Fact]
    public async Task Connect_BinaryStdin_ArrivesIntactThenHalfClosesAndPrintsTheReplySentAfterIt()
    {
        using var cts = new CancellationTokenSource(CliRun.TestTimeout);
        using var listener = new TcpListener(IPAddress.Loopback, 0);
        listener.Start();
        var sent = Enumerable.Range(0, 4096).Select(i => (byte)(i % 256)).ToArray();
        var reply = Enumerable.Range(0, 256).Select(i => (byte)(255 - i)).Concat("bye\r\n"u8.ToArray()).ToArray();
        var server = Task.Run(async () =>
        {
            using var client = await listener.AcceptTcpClientAsync(cts.Token);
            var stream = client.GetStream();
            // Read to EOF: proves sockcat half-closed; then answer: proves it still reads after its FIN.
            var received = new MemoryStream();
            await stream.CopyToAsync(received, cts.Token);
            await stream.WriteAsync(reply, cts.Token);
            return received.ToArray();
        });

        var result = await CliRun.InvokeAsync(sent, "connect", $"tcp://127.0.0.1:{Port(listener)}");

        Assert.Equal(sent, await server);
        Assert.Equal(reply, result.Stdout);
        Assert.Equal(0, result.ExitCode);
        Assert.Equal("", result.Error);
    }

    [Fact]
    public async Task Connect_SendHttpRequest_PrintsTheWholeReply()
    {
        using var cts = new CancellationTokenSource(CliRun.TestTimeout);
        using var listener = new TcpListener(IPAddress.Loopback, 0);
        listener.Start();
        var response = "HTTP/1.1 200 OK\r\nContent-Length: 6\r\nConnection: close\r\n\r\nhello\n"u8.ToArray();
        var server = Task.Run(async () =>
        {
            using var client = await listener.AcceptTcpClientAsync(cts.Token);
            var stream = client.GetStream();
            var request = new MemoryStream();
            var buffer = new byte[1024];
            while (!Encoding.ASCII.GetString(request.ToArray()).Contains("\r\n\r\n"))
            {
                var n = await stream.ReadAsync(buffer, cts.Token);
                if (n == 0)
                {
                    break;
                }

                request.Write(buffer, 0, n);
            }

            await stream.WriteAsync(response, cts.Token);
            return request.ToArray();
        });

        var result = await CliRun.InvokeAsync("connect", $"tcp://127.0.0.1:{Port(listener)}", "--send", @"GET / HTTP/1.1\r\nHost: x\r\n\r\n");

        Assert.Equal("GET / HTTP/1.1\r\nHost: x\r\n\r\n"u8.ToArray(), await server);
        Assert.Equal(response, result.Stdout);
        Assert.Equal(0, result.ExitCode);
    }

    [Fact]
    public async Task Connect_Crlf_TurnsBareNewlinesIntoCrlfAndLeavesCrlfAlone()
    {
        using var cts = new CancellationTokenSource(CliRun.TestTimeout);
        using var listener = new TcpListener(IPAddress.Loopback, 0);
        listener.Start();
        var server = Task.Run(async () =>
        {
            using var client = await listener.AcceptTcpClientAsync(cts.Token);
            var received = new MemoryStream();
            await client.GetStream().CopyToAsync(received, cts.Token);
            return received.ToArray();
        });

        var result = await CliRun.InvokeAsync("USER a\nPASS b\r\nQUIT\n"u8.ToArray(), "connect", $"127.0.0.1:{Port(listener)}", "--crlf");

        Assert.Equal("USER a\r\nPASS b\r\nQUIT\r\n"u8.ToArray(), await server);
        Assert.Equal(0, result.ExitCode);
    }

    [Fact]
    public async Task Connect_Unix_JoinsStdinAndStdout()
    {
        using var cts = new CancellationTokenSource(CliRun.TestTimeout);
        var path = Path.Combine(Path.GetTempPath(), $"sockcat-cli-{Guid.NewGuid():N}.sock");
        using var listener = new Socket(AddressFamily.Unix, SocketType.Stream, ProtocolType.Unspecified);
        listener.Bind(new UnixDomainSocketEndPoint(path));
        listener.Listen(1);
        var server = Task.Run(async () =>
        {
            using var client = await listener.AcceptAsync(cts.Token);
            await using var stream = new NetworkStream(client);
            var received = new MemoryStream();
            await stream.CopyToAsync(received, cts.Token);
            await stream.WriteAsync(received.ToArray().Reverse().ToArray(), cts.Token);
        });

        var result = await CliRun.InvokeAsync("abc"u8.ToArray(), "connect", $"unix://{path}");

        await server;
        Assert.Equal("cba"u8.ToArray(), result.Stdout);
        Assert.Equal(0, result.ExitCode);
    }

    [Fact]
    public async Task Connect_NothingMovesForIdleTimeout_ClosesWithConnectionLost()
    {
        using var cts = new CancellationTokenSource(CliRun.TestTimeout);
        using var listener = new TcpListener(IPAddress.Loopback, 0);
        listener.Start();
        var accept = listener.AcceptTcpClientAsync(cts.Token);
        var stdin = new Pipe();

        var run = CliRun.InvokeAsync(stdin.Reader.AsStream(), "connect", $"tcp://127.0.0.1:{Port(listener)}", "--idle-timeout", "0.3");
        using var client = await accept;
        await stdin.Writer.WriteAsync("tick\n"u8.ToArray(), cts.Token);
        var result = await run;

        Assert.Equal(ExitCodes.ConnectionLost, result.ExitCode);
        Assert.Equal($"sockcat: nothing sent or received for 0.3 s, closing tcp://127.0.0.1:{Port(listener)} (--idle-timeout)\n", result.Error);
        var received = new byte[5];
        await client.GetStream().ReadExactlyAsync(received, cts.Token);
        Assert.Equal("tick\n"u8.ToArray(), received);
        await stdin.Writer.CompleteAsync();
    }

    [Fact]
    public async Task Connect_PeerResetsTheConnection_ExitsConnectionLostWithEconnreset()
    {
        using var cts = new CancellationTokenSource(CliRun.TestTimeout);
        using var listener = new TcpListener(IPAddress.Loopback, 0);
        listener.Start();
        var server = Task.Run(async () =>
        {
            using var client = await listener.AcceptSocketAsync(cts.Token);
            // Once sockcat's first byte is in (so it is past connecting), close with linger 0: RST instead of FIN.
            await client.ReceiveAsync(new byte[1], cts.Token);
            client.LingerState = new LingerOption(true, 0);
        });
        var stdin = new Pipe();
        await stdin.Writer.WriteAsync("x"u8.ToArray(), cts.Token);

        var result = await CliRun.InvokeAsync(stdin.Reader.AsStream(), "connect", $"tcp://127.0.0.1:{Port(listener)}");
        await server;

        Assert.Equal(ExitCodes.ConnectionLost, result.ExitCode);
        Assert.Equal($"sockcat: the connection to tcp://127.0.0.1:{Port(listener)} was reset by the peer (ECONNRESET)\n", result.Error);
        await stdin.Writer.CompleteAsync();
    }

    [Fact]
    public async Task Connect_Refused_ExitsConnectFailedWithOneLine()
    {
        var port = LoopbackPorts.Unused();

        var result = await CliRun.InvokeAsync("connect", $"tcp://127.0.0.1:{port}");

        Assert.Equal(ExitCodes.ConnectFailed, result.ExitCode);
        Assert.Equal($"sockcat: connection refused by 127.0.0.1:{port} (ECONNREFUSED); is a server listening there?\n", result.Error);
    }

    [Fact]
    public async Task Connect_ServerNeverAccepts_TimesOutAfterTimeoutWithConnectFailed()
    {
        using var listener = new Socket(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp);
        listener.Bind(new IPEndPoint(IPAddress.Loopback, 0));
        listener.Listen(1);
        var port = ((IPEndPoint)listener.LocalEndPoint!).Port;
        // Fill the accept queue (backlog 1 holds two) so the kernel drops the next SYN.
        var fillers = new List<Socket>();
        try
        {
            CliResult? result = null;
            for (var i = 0; i < 16; i++)
            {
                var filler = new Socket(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp);
                fillers.Add(filler);
                using var attempt = new CancellationTokenSource(TimeSpan.FromMilliseconds(300));
                try
                {
                    await filler.ConnectAsync(new IPEndPoint(IPAddress.Loopback, port), attempt.Token);
                }
                catch (OperationCanceledException)
                {
                    result = await CliRun.InvokeAsync("connect", "--timeout", "0.3", $"tcp://127.0.0.1:{port}");
                    break;
                }
            }

            Assert.NotNull(result);
            Assert.Equal(ExitCodes.ConnectFailed, result.ExitCode);
            Assert.StartsWith($"sockcat: connection to 127.0.0.1:{port} timed out after 0.3 s (ETIMEDOUT); ", result.Error);
        }
        finally
        {
            fillers.ForEach(f => f.Dispose());
        }
    }

    [Fact]
    public async Task Connect_TlsSelfSigned_IsRejectedByDefaultAndAcceptedWithInsecureOrItsFingerprint()
    {
        using var cts = new CancellationTokenSource(CliRun.TestTimeout);
        using var certificate = TestCertificates.Create();
        using var listener = new TcpListener(IPAddress.Loopback, 0);
        listener.Start();
        var fingerprint = string.Join(':', SHA256.HashData(certificate.RawData).Select(b => b.ToString("X2")));
        var server = Task.Run(async () =>
        {
            while (!cts.IsCancellationRequested)
            {
                using var client = await listener.AcceptTcpClientAsync(cts.Token);
                await using var tls = new SslStream(client.GetStream());
                try
                {
                    await tls.AuthenticateAsServerAsync(new SslServerAuthenticationOptions { ServerCertificate = certificate }, cts.Token);
                    var received = new MemoryStream();
                    await tls.CopyToAsync(received, cts.Token);
                    await tls.WriteAsync(received.ToArray().Reverse().ToArray(), cts.Token);
                    await tls.ShutdownAsync();
                }
                catch (Exception ex) when (ex is IOException or System.Security.Authentication.AuthenticationException)
                {
                }
            }
        });
        var url = $"tls://127.0.0.1:{Port(listener)}";

        var verified = await CliRun.InvokeAsync("hello"u8.ToArray(), "connect", url);
        var insecure = await CliRun.InvokeAsync("hello"u8.ToArray(), "connect", url, "--insecure");
        var pinned = await CliRun.InvokeAsync("hello"u8.ToArray(), "connect", url, "--fingerprint", fingerprint.Replace(":", "").ToLowerInvariant());
        var wrong = await CliRun.InvokeAsync("hello"u8.ToArray(), "connect", url, "--fingerprint", new string('0', 64));
        await cts.CancelAsync();
        await server.ContinueWith(_ => { }, TaskScheduler.Default);

        Assert.Equal(ExitCodes.TlsFailed, verified.ExitCode);
        Assert.StartsWith($"sockcat: the certificate of 127.0.0.1:{Port(listener)} is not trusted: it is self-signed or signed by an unknown authority (SHA-256 {fingerprint}); if you trust this server, pass --fingerprint", verified.Error);
        Assert.Empty(verified.Stdout);
        Assert.Equal((0, "olleh"), (insecure.ExitCode, insecure.StdoutText));
        Assert.Equal((0, "olleh"), (pinned.ExitCode, pinned.StdoutText));
        Assert.Equal(ExitCodes.TlsFailed, wrong.ExitCode);
        Assert.Contains($"has SHA-256 fingerprint {fingerprint}, not the 00:00:", wrong.Error);
    }

    [Fact]
    public async Task Connect_Udp_SendsEachLineAsADatagramAndPrintsReplies()
    {
        using var echo = new UdpClient(new IPEndPoint(IPAddress.Loopback, 0));
        echo.Client.ReceiveTimeout = (int)CliRun.TestTimeout.TotalMilliseconds;
        var port = ((IPEndPoint)echo.Client.LocalEndPoint!).Port;
        var datagrams = new List<string>();
        // A thread of its own, not the thread pool: sockcat stops listening a second after stdin ends, and in CI a
        // starved pool once answered only after that, so the replies were never printed.
        var server = new Thread(() =>
        {
            try
            {
                for (var i = 0; i < 3; i++)
                {
                    var from = new IPEndPoint(IPAddress.Any, 0);
                    var datagram = echo.Receive(ref from);
                    datagrams.Add(Encoding.UTF8.GetString(datagram));
                    echo.Send(Encoding.UTF8.GetBytes(Encoding.UTF8.GetString(datagram).ToUpperInvariant()), from);
                }
            }
            catch (SocketException)
            {
                // Timed out waiting: the assertions on what arrived say what went wrong.
            }
        }) { IsBackground = true, Name = "test-udp-echo" };
        server.Start();

        var result = await CliRun.InvokeAsync("one\ntwo\nlast"u8.ToArray(), "connect", $"udp://127.0.0.1:{port}");
        Assert.True(server.Join(CliRun.TestTimeout));

        Assert.Equal(["one\n", "two\n", "last"], datagrams);
        Assert.Equal("ONE\nTWO\nLAST", result.StdoutText);
        Assert.Equal(0, result.ExitCode);
    }

    [Fact]
    public async Task Connect_UdpNobodyListening_ExitsConnectFailedWithEconnrefused()
    {
        int port;
        using (var probe = new UdpClient(new IPEndPoint(IPAddress.Loopback, 0)))
        {
            port = ((IPEndPoint)probe.Client.LocalEndPoint!).Port;
        }

        var result = await CliRun.InvokeAsync("ping\n"u8.ToArray(), "connect", $"udp://127.0.0.1:{port}");

        Assert.Equal(ExitCodes.ConnectFailed, result.ExitCode);
        Assert.Equal($"sockcat: udp://127.0.0.1:{port} refused the datagram: nothing is listening on that port (ECONNREFUSED); is a server running there?\n", result.Error);
    }

    private static int Port(TcpListener listener) => ((IPEndPoint)listener.LocalEndpoint).Port;
}
