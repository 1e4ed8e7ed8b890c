using System.Diagnostics;
using System.IO.Pipelines;
using System.Net;
using System.Net.Security;
using System.Net.Sockets;
using System.Security.Cryptography;
using System.Text;
using System.Text.RegularExpressions;

namespace SockCat.Cli.Tests;

/// <summary>`listen` as nc -l users type it: PORT alone, HOST PORT, -4/-6, --allow/--deny, tls:// and udp://.</summary>
public sealed partial class ListenTransportTests
{
    [Fact]
    public async Task Listen_PortAlone_ListensOnEveryIPv4AddressAsNcDoes()
    {
        using var cts = new CancellationTokenSource(CliRun.TestTimeout);
        var (run, error) = CliRun.Start(new MemoryStream("hello\n"u8.ToArray()), cts.Token, "listen", "0");
        var port = await WaitForPortAsync(error, run, "tcp://0.0.0.0:");

        // 127.0.0.2 reaches it too: the listener is on 0.0.0.0, not only on 127.0.0.1.
        var received = await ExchangeAsync(IPAddress.Parse("127.0.0.2"), port, "bye\n", cts.Token);
        var result = await run;

        Assert.Equal("hello\n", received);
        Assert.Equal((0, "bye\n"), (result.ExitCode, result.StdoutText));
    }

    [Fact]
    public async Task Listen_HostAndPortAsTwoArguments_ListensThere()
    {
        using var cts = new CancellationTokenSource(CliRun.TestTimeout);
        var (run, error) = CliRun.Start(new MemoryStream(), cts.Token, "listen", "127.0.0.1", "0");
        var port = await WaitForPortAsync(error, run, "tcp://127.0.0.1:");

        await ExchangeAsync(IPAddress.Loopback, port, "two words\n", cts.Token);
        var result = await run;

        Assert.Equal((0, "two words\n"), (result.ExitCode, result.StdoutText));
    }

    [Fact]
    public async Task Listen_Minus6WithPortAlone_TakesIPv6ClientsOnly()
    {
        using var cts = new CancellationTokenSource(CliRun.TestTimeout);
        var (run, error) = CliRun.Start(new MemoryStream(), cts.Token, "listen", "-6", "0");
        var port = await WaitForPortAsync(error, run, "tcp://[::]:");

        using (var v4 = new Socket(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp))
        {
            var refused = await Assert.ThrowsAsync<SocketException>(async () => await v4.ConnectAsync(IPAddress.Loopback, port, cts.Token));
            Assert.Equal(SocketError.ConnectionRefused, refused.SocketErrorCode);
        }

        await ExchangeAsync(IPAddress.IPv6Loopback, port, "over IPv6\n", cts.Token);
        var result = await run;

        Assert.Equal((0, "over IPv6\n"), (result.ExitCode, result.StdoutText));
    }

    [Theory]
    [InlineData("-4", "tcp://[::1]:0", "sockcat: -4 uses IPv4 addresses only, and ::1 is an IPv6 address; drop -4, or give an IPv4 address or a host name")]
    [InlineData("-6", "udp://127.0.0.1:0", "sockcat: -6 uses IPv6 addresses only, and 127.0.0.1 is an IPv4 address; drop -6, or give an IPv6 address or a host name")]
    [InlineData("--cert=cert.pem", "tcp://127.0.0.1:0", "sockcat: --cert and --key are for tls:// endpoints, and tcp://127.0.0.1:0 is not one; use tls://127.0.0.1:0, or leave them out")]
    [InlineData("--allow=10.0.0.0/33", "tcp://127.0.0.1:0", "sockcat: '10.0.0.0/33' is not a valid address or CIDR range: the prefix length is over 32; e.g. 10.0.0.0/8 or ::1")]
    [InlineData("-k", "udp://127.0.0.1:0", "sockcat: --keep-open is for stream endpoints: a udp:// listener's peer never leaves; for a datagram server with many peers see 'sockcat serve echo udp://…'")]
    public async Task Listen_OptionThatDoesNotFitTheEndpoint_IsAUsageErrorInOneLine(string option, string url, string message)
    {
        var result = await CliRun.InvokeAsync("listen", option, url);

        Assert.Equal((2, message + "\n"), (result.ExitCode, result.Error));
    }

    [Theory]
    [InlineData("--deny", "127.0.0.2")]
    [InlineData("--allow", "127.0.0.1/32,::1")]
    public async Task Listen_RefusedClient_IsClosedBeforeAnyByteAndTheNextClientIsServed(string option, string value)
    {
        using var cts = new CancellationTokenSource(CliRun.TestTimeout);
        var (run, error) = CliRun.Start(new MemoryStream("greeting\n"u8.ToArray()), cts.Token, "listen", "-v", option, value, "tcp://0.0.0.0:0");
        var port = await WaitForPortAsync(error, run, "tcp://0.0.0.0:");

        // From 127.0.0.2: neither the greeting nor anything else reaches it, and what it sends is never printed.
        using (var refused = new Socket(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp))
        {
            refused.Bind(new IPEndPoint(IPAddress.Parse("127.0.0.2"), 0));
            await refused.ConnectAsync(IPAddress.Loopback, port, cts.Token);
            await refused.SendAsync("intruder\n"u8.ToArray(), cts.Token);
            var stream = new NetworkStream(refused);
            var got = new MemoryStream();
            try
            {
                await stream.CopyToAsync(got, cts.Token);
            }
            catch (IOException)
            {
                // Closed with its bytes unread: the system may answer with a reset instead of a FIN.
            }

            Assert.Empty(got.ToArray());
            Assert.Matches(@"sockcat: refused 127\.0\.0\.2:\d+: not allowed by --allow/--deny\n", error.Text);
        }

        var received = await ExchangeAsync(IPAddress.Loopback, port, "welcome\n", cts.Token);
        var result = await run;

        Assert.Equal("greeting\n", received);
        Assert.Equal((0, "welcome\n"), (result.ExitCode, result.StdoutText));
    }

    [Fact]
    public async Task Listen_Tls_StdinAtItsEnd_SendsCloseNotifyAndStillReceivesAWholeUploadFromSockcatConnect()
    {
        var upload = RandomNumberGenerator.GetBytes(4 * 1024 * 1024);
        await using var listen = SockcatProcess.Start(["listen", "tls://127.0.0.1:0"]);
        listen.Stdin.Close();
        var (port, fingerprint) = await ReadTlsAnnouncementAsync(listen);

        var client = await SockcatProcess.RunAsync(upload, ["connect", "--fingerprint", fingerprint, $"tls://127.0.0.1:{port}"]);
        var server = await listen.WaitAsync();

        Assert.Equal((0, ""), (client.ExitCode, client.Stderr));
        Assert.Empty(client.Stdout);
        Assert.Equal((0, ""), (server.ExitCode, server.Stderr));
        Assert.Equal(SHA256.HashData(upload), SHA256.HashData(server.Stdout));
    }

    [Fact]
    public async Task Listen_Tls_SendsAFileToSockcatConnectThatHalfClosesAtOnce()
    {
        var download = RandomNumberGenerator.GetBytes(4 * 1024 * 1024);
        await using var listen = SockcatProcess.Start(["listen", "tls://127.0.0.1:0"]);
        var (port, fingerprint) = await ReadTlsAnnouncementAsync(listen);
        var feed = Task.Run(async () =>
        {
            await listen.Stdin.WriteAsync(download);
            listen.Stdin.Close();
        });

        var client = await SockcatProcess.RunAsync("hi\n"u8.ToArray(), ["connect", "--fingerprint", fingerprint, $"tls://127.0.0.1:{port}"]);
        var server = await listen.WaitAsync();
        await feed;

        Assert.Equal((0, ""), (client.ExitCode, client.Stderr));
        Assert.Equal(SHA256.HashData(download), SHA256.HashData(client.Stdout));
        Assert.Equal((0, "", "hi\n"), (server.ExitCode, server.Stderr, Encoding.ASCII.GetString(server.Stdout)));
    }

    [Fact]
    public async Task Listen_Tls_OpensslSClientAsThePeer_ExchangesBothWaysAndBothEnd()
    {
        await using var listen = SockcatProcess.Start(["listen", "tls://127.0.0.1:0"]);
        var (port, _) = await ReadTlsAnnouncementAsync(listen);
        await listen.Stdin.WriteAsync("from listen\n"u8.ToArray());
        listen.Stdin.Close();

        // -ign_eof: s_client keeps reading after its stdin ends, until the server's close_notify.
        var client = await RunPeerAsync("openssl", ["s_client", "-connect", $"127.0.0.1:{port}", "-quiet", "-ign_eof"], "from s_client\n");
        var server = await listen.WaitAsync();

        Assert.Equal((0, "from listen\n"), (client.ExitCode, client.Stdout));
        Assert.Equal((0, "", "from s_client\n"), (server.ExitCode, server.Stderr, Encoding.ASCII.GetString(server.Stdout)));
    }

    [Fact]
    public async Task Listen_Tls_AClientThatIsNotTls_IsSaidInOneLineAndTheNextClientIsServed()
    {
        using var cts = new CancellationTokenSource(CliRun.TestTimeout);
        var (run, error) = CliRun.Start(new MemoryStream("secret\n"u8.ToArray()), cts.Token, "listen", "tls://127.0.0.1:0");
        var port = await WaitForPortAsync(error, run, "tls://127.0.0.1:");

        using (var plain = new TcpClient())
        {
            await plain.ConnectAsync(IPAddress.Loopback, port, cts.Token);
            var stream = plain.GetStream();
            await stream.WriteAsync("GET / HTTP/1.0\r\n\r\n"u8.ToArray(), cts.Token);
            var answer = new MemoryStream();
            try
            {
                await stream.CopyToAsync(answer, cts.Token);
            }
            catch (IOException)
            {
                // Reset instead of FIN: also a refusal.
            }

            Assert.DoesNotContain("secret", Encoding.ASCII.GetString(answer.ToArray()));
        }

        using var client = new TcpClient();
        await client.ConnectAsync(IPAddress.Loopback, port, cts.Token);
        await using var tls = new SslStream(client.GetStream(), false, (_, _, _, _) => true);
        await tls.AuthenticateAsClientAsync(new SslClientAuthenticationOptions { TargetHost = "localhost" }, cts.Token);
        await tls.WriteAsync("over tls\n"u8.ToArray(), cts.Token);
        await tls.ShutdownAsync();
        client.Client.Shutdown(SocketShutdown.Send);
        var received = new MemoryStream();
        await tls.CopyToAsync(received, cts.Token);
        var result = await run;

        Assert.Equal("secret\n", Encoding.ASCII.GetString(received.ToArray()));
        Assert.Equal((0, "over tls\n"), (result.ExitCode, result.StdoutText));
        Assert.Matches(@"sockcat: the TLS handshake with 127\.0\.0\.1:\d+ failed: .+; waiting for the next client\n", error.Text);
    }

    [Fact]
    public async Task Listen_Udp_TheFirstAllowedSenderBecomesThePeerAndOthersAreNotHeard()
    {
        using var stop = new CancellationTokenSource();
        using var cts = new CancellationTokenSource(CliRun.TestTimeout);
        var stdout = new Pipe();
        var (run, error) = CliRun.Start(new MemoryStream("reply\n"u8.ToArray()), stdout.Writer.AsStream(), stop.Token,
            "listen", "-v", "--deny", "127.0.0.2", "udp://127.0.0.1:0");
        var port = await WaitForPortAsync(error, run, "udp://127.0.0.1:");
        var listener = new IPEndPoint(IPAddress.Loopback, port);
        var printed = stdout.Reader.AsStream();

        using var denied = Udp("127.0.0.2");
        await denied.SendToAsync("denied\n"u8.ToArray(), listener, cts.Token);
        await WaitForAsync(() => error.Text.Contains("sockcat: ignored a datagram from 127.0.0.2:", StringComparison.Ordinal), run);

        using var peer = Udp("127.0.0.1");
        await peer.SendToAsync("hello\n"u8.ToArray(), listener, cts.Token);
        var reply = new byte[64];
        var got = await peer.ReceiveFromAsync(reply, new IPEndPoint(IPAddress.Any, 0), cts.Token);
        Assert.Equal("reply\n", Encoding.ASCII.GetString(reply, 0, got.ReceivedBytes));

        // stdin has ended, and the peer is still heard; another sender is not (the socket is connected to the peer).
        using var other = Udp("127.0.0.3");
        await other.SendToAsync("other\n"u8.ToArray(), listener, cts.Token);
        await peer.SendToAsync("again\n"u8.ToArray(), listener, cts.Token);
        var lines = new byte["hello\nagain\n".Length];
        await printed.ReadExactlyAsync(lines, cts.Token);
        await stop.CancelAsync();
        var result = await run.WaitAsync(cts.Token);

        Assert.Equal("hello\nagain\n", Encoding.ASCII.GetString(lines));
        Assert.Equal(130, result.ExitCode);
        Assert.Contains($"sockcat: datagrams from 127.0.0.1:{((IPEndPoint)peer.LocalEndPoint!).Port}\n", error.Text);
        Assert.EndsWith("sockcat: 6 bytes sent, 12 bytes received\n", error.Text);
    }

    [Fact]
    public async Task Listen_Udp_NcatAsThePeer_GetsTheReplyAndIsPrinted()
    {
        using var stop = new CancellationTokenSource();
        using var cts = new CancellationTokenSource(CliRun.TestTimeout);
        var stdout = new Pipe();
        var (run, error) = CliRun.Start(new MemoryStream("reply\n"u8.ToArray()), stdout.Writer.AsStream(), stop.Token, "listen", "udp://127.0.0.1:0");
        var port = await WaitForPortAsync(error, run, "udp://127.0.0.1:");

        // ncat -u stops receiving at its stdin's end: its stdin stays open until the reply has come.
        var info = new ProcessStartInfo("ncat") { RedirectStandardInput = true, RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false };
        foreach (var arg in new[] { "-u", "127.0.0.1", port.ToString() })
        {
            info.ArgumentList.Add(arg);
        }

        using var ncat = Process.Start(info)!;
        string? reply;
        try
        {
            await ncat.StandardInput.WriteAsync("from ncat\n");
            await ncat.StandardInput.FlushAsync(cts.Token);
            reply = await ncat.StandardOutput.ReadLineAsync(cts.Token);
        }
        finally
        {
            ncat.Kill();
        }

        var line = new byte["from ncat\n".Length];
        await stdout.Reader.AsStream().ReadExactlyAsync(line, cts.Token);
        await stop.CancelAsync();
        await run.WaitAsync(cts.Token);

        Assert.Equal("from ncat\n", Encoding.ASCII.GetString(line));
        Assert.Equal("reply", reply);
    }

    private static Socket Udp(string address)
    {
        var socket = new Socket(AddressFamily.InterNetwork, SocketType.Dgram, ProtocolType.Udp);
        socket.Bind(new IPEndPoint(IPAddress.Parse(address), 0));
        return socket;
    }

    /// <summary>Connects from <paramref name="address"/>'s family, reads what listen sends until its FIN, then sends <paramref name="text"/> and half-closes.</summary>
    private static async Task<string> ExchangeAsync(IPAddress address, int port, string text, CancellationToken cancellationToken)
    {
        using var client = new Socket(address.AddressFamily, SocketType.Stream, ProtocolType.Tcp);
        await client.ConnectAsync(address, port, cancellationToken);
        using var stream = new NetworkStream(client);
        var received = new MemoryStream();
        await stream.CopyToAsync(received, cancellationToken);
        await stream.WriteAsync(Encoding.ASCII.GetBytes(text), cancellationToken);
        client.Shutdown(SocketShutdown.Send);
        // Waits for listen to close: it has then printed what was sent.
        Assert.Equal(0, await stream.ReadAsync(new byte[1], cancellationToken));
        return Encoding.ASCII.GetString(received.ToArray());
    }

    private static async Task<int> WaitForPortAsync(SyncWriter error, Task running, string prefix)
    {
        var pattern = new Regex($"listening on {Regex.Escape(prefix)}(\\d+)\n");
        await WaitForAsync(() => pattern.IsMatch(error.Text), running);
        return int.Parse(pattern.Match(error.Text).Groups[1].Value);
    }

    private static async Task WaitForAsync(Func<bool> condition, Task running)
    {
        using var cts = new CancellationTokenSource(CliRun.TestTimeout);
        while (!condition())
        {
            if (running.IsCompleted)
            {
                await running;
                throw new InvalidOperationException("listen ended before the awaited line");
            }

            await Task.Delay(20, cts.Token);
        }
    }

    /// <summary>Reads listen's certificate line, then its port line, from the process's stderr.</summary>
    private static async Task<(int Port, string Fingerprint)> ReadTlsAnnouncementAsync(SockcatProcess listen)
    {
        using var cts = new CancellationTokenSource(CliRun.TestTimeout);
        var certificate = await listen.Stderr.ReadLineAsync(cts.Token);
        var fingerprint = FingerprintPattern().Match(certificate ?? "");
        Assert.True(fingerprint.Success, certificate);
        var listening = await listen.Stderr.ReadLineAsync(cts.Token);
        Assert.StartsWith("sockcat: listening on tls://127.0.0.1:", listening);
        return (int.Parse(listening!["sockcat: listening on tls://127.0.0.1:".Length..]), fingerprint.Groups[1].Value);
    }

    private static async Task<(int ExitCode, string Stdout)> RunPeerAsync(string program, string[] args, string stdin)
    {
        using var cts = new CancellationTokenSource(CliRun.TestTimeout);
        var info = new ProcessStartInfo(program)
        {
            RedirectStandardInput = true,
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
        };
        foreach (var arg in args)
        {
            info.ArgumentList.Add(arg);
        }

        using var process = Process.Start(info)!;
        try
        {
            var stdout = process.StandardOutput.ReadToEndAsync(cts.Token);
            var stderr = process.StandardError.ReadToEndAsync(cts.Token);
            await process.StandardInput.WriteAsync(stdin);
            process.StandardInput.Close();
            await process.WaitForExitAsync(cts.Token);
            await stderr;
            return (process.ExitCode, await stdout);
        }
        finally
        {
            if (!process.HasExited)
            {
                process.Kill();
            }
        }
    }

    [GeneratedRegex("SHA-256 ([0-9A-F:]{95})$")]
    private static partial Regex FingerprintPattern();
}
