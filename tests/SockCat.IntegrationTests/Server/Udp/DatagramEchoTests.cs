using System.Diagnostics;
using System.Net;
using System.Net.Sockets;
using System.Security.Cryptography;
using System.Text;
using SockCat.Endpoints;
using SockCat.Server.Access;
using SockCat.Server.Udp;
using SockCat.Services.Echo;

namespace SockCat.IntegrationTests.Server.Udp;

public class DatagramEchoTests
{
    private static readonly TimeSpan TestTimeout = TimeSpan.FromSeconds(20);

    [Theory]
    [InlineData("udp://127.0.0.1:0", "127.0.0.1")]
    [InlineData("udp://[::1]:0", "::1")]
    [InlineData("udp://[::]:0", "127.0.0.1")]
    [InlineData("udp://[::]:0", "::1")]
    [InlineData("udp://localhost:0", "127.0.0.1")]
    public async Task Echo_ManyDatagrams_ComeBackByteForByte(string url, string clientAddress)
    {
        using var cts = new CancellationTokenSource(TestTimeout);
        await using var server = DatagramServer.Start(EndpointUrl.Parse(url), EchoDatagramProtocol.Instance, new CapturingLogger());
        Assert.NotEqual(0, server.LocalEndPoint.Port);
        Assert.Equal(server.LocalEndPoint.Port, server.Url.Port);
        var target = new IPEndPoint(IPAddress.Parse(clientAddress), server.LocalEndPoint.Port);
        using var client = new UdpClient(target.AddressFamily);
        client.Connect(target);

        // One at a time (UDP may drop under a burst; ping-pong keeps the test exact), sizes 0 to 9 KB.
        for (var i = 0; i < 300; i++)
        {
            var sent = RandomNumberGenerator.GetBytes(i * 31 % 9000);
            await client.SendAsync(sent, cts.Token);
            var reply = await client.ReceiveAsync(cts.Token);

            Assert.Equal(sent, reply.Buffer);
            Assert.Equal(target, reply.RemoteEndPoint);
        }

        // The loop counts a datagram after sending its echo, so the count may trail the last reply by a moment.
        await WaitUntilAsync(() => server.DatagramsSent == 300, cts.Token);
        Assert.Equal(1, server.PeerCount);
    }

    [Fact]
    public async Task Echo_LargestDatagram_ComesBackWhole()
    {
        using var cts = new CancellationTokenSource(TestTimeout);
        await using var server = DatagramServer.Start(EndpointUrl.Parse("udp://127.0.0.1:0"), EchoDatagramProtocol.Instance, new CapturingLogger());
        using var client = new UdpClient(AddressFamily.InterNetwork);
        client.Connect(server.LocalEndPoint);
        var sent = RandomNumberGenerator.GetBytes(DatagramServer.MaxDatagramSize);

        await client.SendAsync(sent, cts.Token);
        var reply = await client.ReceiveAsync(cts.Token);

        Assert.Equal(sent, reply.Buffer);
        await WaitUntilAsync(() => server.BytesSent == 65_507, cts.Token);
    }

    [Fact]
    public async Task Echo_WindowOfDatagramsInFlight_EachComesBackIntact()
    {
        using var cts = new CancellationTokenSource(TestTimeout);
        await using var server = DatagramServer.Start(EndpointUrl.Parse("udp://127.0.0.1:0"), EchoDatagramProtocol.Instance, new CapturingLogger());
        using var client = new UdpClient(AddressFamily.InterNetwork);
        client.Client.ReceiveBufferSize = 1 << 20;
        client.Connect(server.LocalEndPoint);
        var pending = new Dictionary<int, byte[]>();

        // 16 in flight at a time: well inside the socket buffers on loopback, so none is dropped.
        for (var round = 0; round < 50; round++)
        {
            for (var j = 0; j < 16; j++)
            {
                var id = round * 16 + j;
                var payload = new byte[4 + 200 + id % 700];
                BitConverter.TryWriteBytes(payload, id);
                RandomNumberGenerator.Fill(payload.AsSpan(4));
                pending[id] = payload;
                await client.SendAsync(payload, cts.Token);
            }

            for (var j = 0; j < 16; j++)
            {
                var reply = (await client.ReceiveAsync(cts.Token)).Buffer;
                var id = BitConverter.ToInt32(reply);
                Assert.True(pending.Remove(id, out var expected), $"unexpected or repeated datagram {id}");
                Assert.Equal(expected, reply);
            }
        }

        Assert.Empty(pending);
        await WaitUntilAsync(() => server.DatagramsSent == 800, cts.Token);
    }

    [Fact]
    public async Task Echo_SocatClient_GetsItsLinesBack()
    {
        await using var server = DatagramServer.Start(EndpointUrl.Parse("udp://127.0.0.1:0"), EchoDatagramProtocol.Instance, new CapturingLogger());
        var start = new ProcessStartInfo("socat", ["-T", "2", "-", $"UDP:127.0.0.1:{server.LocalEndPoint.Port}"])
        {
            RedirectStandardInput = true,
            RedirectStandardOutput = true,
            RedirectStandardError = true,
        };
        using var socat = Process.Start(start)!;
        using var cts = new CancellationTokenSource(TestTimeout);
        var output = new StringBuilder();
        var reading = Task.Run(async () =>
        {
            var buffer = new char[4096];
            int n;
            while ((n = await socat.StandardOutput.ReadAsync(buffer, cts.Token)) > 0)
            {
                lock (output)
                {
                    output.Append(buffer, 0, n);
                }
            }
        });
        string[] lines = ["hello", "from socat", "line three: ünïcödé"];
        try
        {
            // A line at a time, each answered before the next: socat sends one datagram per read of its stdin.
            foreach (var line in lines)
            {
                await socat.StandardInput.WriteAsync(line + "\n");
                await socat.StandardInput.FlushAsync(cts.Token);
                await WaitUntilAsync(() => { lock (output) { return output.ToString().Contains(line + "\n"); } }, cts.Token);
            }

            socat.StandardInput.Close();
            await socat.WaitForExitAsync(cts.Token); // -T 2: socat exits 2 s after the last datagram
            await reading;
        }
        finally
        {
            if (!socat.HasExited)
            {
                socat.Kill();
            }
        }

        Assert.Equal(string.Concat(lines.Select(l => l + "\n")), output.ToString());
        Assert.Equal(0, socat.ExitCode);
        Assert.Equal(1, server.PeerCount);
    }

    [Fact]
    public async Task Echo_NewPeers_AreLoggedOnceEachWithTotal()
    {
        using var cts = new CancellationTokenSource(TestTimeout);
        var logger = new CapturingLogger();
        await using var server = DatagramServer.Start(EndpointUrl.Parse("udp://127.0.0.1:0"), EchoDatagramProtocol.Instance, logger);
        using var first = new UdpClient(new IPEndPoint(IPAddress.Loopback, 0));
        using var second = new UdpClient(new IPEndPoint(IPAddress.Loopback, 0));

        foreach (var client in new[] { first, second, first, second, first })
        {
            await client.SendAsync("x"u8.ToArray(), server.LocalEndPoint, cts.Token);
            await client.ReceiveAsync(cts.Token);
        }

        var firstPort = ((IPEndPoint)first.Client.LocalEndPoint!).Port;
        var secondPort = ((IPEndPoint)second.Client.LocalEndPoint!).Port;
        Assert.Equal(
            [$"Datagram peer 127.0.0.1:{firstPort} seen. Now there are total 1 peers.", $"Datagram peer 127.0.0.1:{secondPort} seen. Now there are total 2 peers."],
            logger.Messages);
        Assert.All(logger.Entries, e => Assert.Equal(800, e.Id.Id));
        Assert.Equal(2, server.PeerCount);
    }

    [Fact]
    public async Task Echo_IPv4ClientOnDualStackListener_IsLoggedAsIPv4()
    {
        using var cts = new CancellationTokenSource(TestTimeout);
        var logger = new CapturingLogger();
        await using var server = DatagramServer.Start(EndpointUrl.Parse("udp://[::]:0"), EchoDatagramProtocol.Instance, logger);
        using var client = new UdpClient(new IPEndPoint(IPAddress.Loopback, 0));

        await client.SendAsync("x"u8.ToArray(), new IPEndPoint(IPAddress.Loopback, server.LocalEndPoint.Port), cts.Token);
        await client.ReceiveAsync(cts.Token);

        Assert.Equal([$"Datagram peer 127.0.0.1:{((IPEndPoint)client.Client.LocalEndPoint!).Port} seen. Now there are total 1 peers."], logger.Messages);
    }

    [Fact]
    public async Task Echo_IdlePeer_IsForgottenAfterTimeout()
    {
        using var cts = new CancellationTokenSource(TestTimeout);
        var logger = new CapturingLogger();
        await using var server = DatagramServer.Start(EndpointUrl.Parse("udp://127.0.0.1:0"), EchoDatagramProtocol.Instance, logger, new DatagramServerOptions { PeerIdleTimeout = TimeSpan.FromMilliseconds(300) });
        using var client = new UdpClient(new IPEndPoint(IPAddress.Loopback, 0));

        await client.SendAsync("x"u8.ToArray(), server.LocalEndPoint, cts.Token);
        await client.ReceiveAsync(cts.Token);
        Assert.Equal(1, server.PeerCount);
        await WaitUntilAsync(() => server.PeerCount == 0, cts.Token);
        await client.SendAsync("y"u8.ToArray(), server.LocalEndPoint, cts.Token);
        await client.ReceiveAsync(cts.Token);

        Assert.Equal(2, logger.Messages.Count(m => m.EndsWith("seen. Now there are total 1 peers.")));
        Assert.Contains(logger.Messages, m => m.Contains("forgotten. Now there are total 0 peers."));
    }

    [Fact]
    public async Task Echo_DeniedPeer_GetsNoReplyAndIsLogged()
    {
        using var cts = new CancellationTokenSource(TestTimeout);
        var logger = new CapturingLogger();
        var access = AccessList.Parse(["::1"], null);
        await using var server = DatagramServer.Start(EndpointUrl.Parse("udp://[::]:0"), EchoDatagramProtocol.Instance, logger, new DatagramServerOptions { Access = access });
        using var refused = new UdpClient(new IPEndPoint(IPAddress.Loopback, 0));
        using var allowed = new UdpClient(new IPEndPoint(IPAddress.IPv6Loopback, 0));

        await refused.SendAsync("no"u8.ToArray(), new IPEndPoint(IPAddress.Loopback, server.LocalEndPoint.Port), cts.Token);
        await WaitUntilAsync(() => server.DatagramsDropped == 1, cts.Token);
        await allowed.SendAsync("yes"u8.ToArray(), new IPEndPoint(IPAddress.IPv6Loopback, server.LocalEndPoint.Port), cts.Token);
        var reply = await allowed.ReceiveAsync(cts.Token);

        Assert.Equal("yes"u8.ToArray(), reply.Buffer);
        Assert.Equal(0, refused.Available);
        await WaitUntilAsync(() => server.DatagramsSent == 1, cts.Token);
        Assert.Contains($"Datagram peer 127.0.0.1:{((IPEndPoint)refused.Client.LocalEndPoint!).Port} refused by the allow/deny rules; its datagrams are dropped.", logger.Messages);
    }

    [Fact]
    public async Task Stop_WhileIdle_EndsLoopAndReleasesPort()
    {
        var logger = new CapturingLogger();
        var server = DatagramServer.Start(EndpointUrl.Parse("udp://127.0.0.1:0"), EchoDatagramProtocol.Instance, logger);
        var port = server.LocalEndPoint.Port;

        await server.StopAsync().WaitAsync(TimeSpan.FromSeconds(5));
        await server.StopAsync().WaitAsync(TimeSpan.FromSeconds(5)); // a second stop is harmless

        Assert.True(server.Completion.IsCompletedSuccessfully);
        using var again = new Socket(AddressFamily.InterNetwork, SocketType.Dgram, ProtocolType.Udp);
        again.Bind(new IPEndPoint(IPAddress.Loopback, port));
        Assert.DoesNotContain(logger.Entries, e => e.Level >= Microsoft.Extensions.Logging.LogLevel.Warning);
    }

    [Fact]
    public void Start_PortInUse_ThrowsAddressInUse()
    {
        using var taken = new Socket(AddressFamily.InterNetwork, SocketType.Dgram, ProtocolType.Udp);
        taken.Bind(new IPEndPoint(IPAddress.Loopback, 0));
        var port = ((IPEndPoint)taken.LocalEndPoint!).Port;

        var ex = Assert.Throws<SocketException>(() => DatagramServer.Start(EndpointUrl.Parse($"udp://127.0.0.1:{port}"), EchoDatagramProtocol.Instance, new CapturingLogger()));

        Assert.Equal(SocketError.AddressAlreadyInUse, ex.SocketErrorCode);
    }

    [Fact]
    public void Start_TcpUrl_IsRefused()
    {
        Assert.Throws<ArgumentException>(() => DatagramServer.Start(EndpointUrl.Parse("tcp://127.0.0.1:0"), EchoDatagramProtocol.Instance, new CapturingLogger()));
    }

    [Fact]
    public async Task Loop_KnownPeerSendingManyDatagrams_AllocatesNothingPerDatagram()
    {
        using var cts = new CancellationTokenSource(TestTimeout);
        var server = DatagramServer.Start(EndpointUrl.Parse("udp://127.0.0.1:0"), EchoDatagramProtocol.Instance, new CapturingLogger());
        using var client = new Socket(AddressFamily.InterNetwork, SocketType.Dgram, ProtocolType.Udp);
        client.Connect(server.LocalEndPoint);
        var payload = new byte[64];
        var reply = new byte[64];
        const int count = 5_000;
        for (var i = 0; i < count; i++)
        {
            await client.SendAsync(payload, cts.Token);
            await client.ReceiveAsync(reply, cts.Token);
        }

        await server.StopAsync().WaitAsync(cts.Token);

        // What the loop thread allocated after its only new peer: stopping's exception and nothing per datagram
        // (even 8 bytes per datagram would be 40,000).
        Assert.Equal(count, server.DatagramsSent);
        Assert.InRange(server.AllocatedAtExit - server.AllocatedAtLastNewPeer, 0, 16_000);
    }

    [Fact]
    public async Task Protocol_OtherThanEcho_SeesPayloadAndPeerAndRepliesAsItChooses()
    {
        using var cts = new CancellationTokenSource(TestTimeout);
        var protocol = new CountingProtocol();
        await using var server = DatagramServer.Start(EndpointUrl.Parse("udp://127.0.0.1:0"), protocol, new CapturingLogger());
        using var client = new UdpClient(AddressFamily.InterNetwork);
        client.Connect(server.LocalEndPoint);

        // "quiet" gets no answer; any other datagram is answered with its length and the sender's port, twice.
        await client.SendAsync(Encoding.ASCII.GetBytes("quiet"), cts.Token);
        await client.SendAsync(Encoding.ASCII.GetBytes("hello"), cts.Token);
        var first = await client.ReceiveAsync(cts.Token);
        var second = await client.ReceiveAsync(cts.Token);

        var expected = $"5 from {((IPEndPoint)client.Client.LocalEndPoint!).Port}";
        Assert.Equal(expected, Encoding.ASCII.GetString(first.Buffer));
        Assert.Equal(expected, Encoding.ASCII.GetString(second.Buffer));
        await WaitUntilAsync(() => server.DatagramsSent == 2, cts.Token);
        Assert.Equal(2, server.DatagramsReceived);
        Assert.Equal(10, server.BytesReceived);
        Assert.Equal(2, protocol.Seen);
    }

    private sealed class CountingProtocol : IDatagramProtocol
    {
        public int Seen;

        public void OnDatagram(in Datagram datagram)
        {
            Seen++;
            if (datagram.Payload.SequenceEqual("quiet"u8))
            {
                return;
            }

            var answer = Encoding.ASCII.GetBytes($"{datagram.Payload.Length} from {datagram.Peer.Port}");
            datagram.Reply(answer);
            datagram.Reply(answer);
        }
    }

    private static async Task WaitUntilAsync(Func<bool> condition, CancellationToken cancellationToken)
    {
        while (!condition())
        {
            await Task.Delay(20, cancellationToken);
        }
    }
}
