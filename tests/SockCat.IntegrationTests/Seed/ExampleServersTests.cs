using System.Net;
using System.Net.Sockets;
using System.Text;

namespace SockCat.IntegrationTests.Seed;

/// <summary>The seed's two servers in C#, with clients of the test's own: many at once, and one at a time.</summary>
public sealed class ExampleServersTests
{
    [Fact]
    public async Task SeedMultiEchoServer_ThreeClientsAtOnce_EchoesEachAndCountsUpThenDown()
    {
        using var cts = new CancellationTokenSource(PeerProcess.DefaultTimeout);
        var (server, port) = await SeedPeers.StartExampleServerAsync("SeedMultiEchoServer");
        using (server)
        {
            var expected = new List<string> { server.StdoutLines[0] };
            var clients = new List<Socket>();
            try
            {
                for (var i = 1; i <= 3; i++)
                {
                    var client = await ConnectAsync(port, cts.Token);
                    clients.Add(client);
                    expected.Add($"Connection accepted from 127.0.0.1:{client.Port()}");
                    expected.Add($"Now there are total {i} clients.");
                    Assert.Equal(expected, await server.WaitForStdoutLinesAsync(expected.Count));
                }

                // All three talk at once; each gets back its own bytes only.
                await Task.WhenAll(clients.Select((c, i) => RoundTripAsync(c, SeedPeers.Payload(700, $"client {i}"), cts.Token)));

                for (var left = 2; left >= 0; left--)
                {
                    clients[0].Dispose();
                    clients.RemoveAt(0);
                    expected.Add($"A client disconnected. Now there are total {left} clients.");
                    Assert.Equal(expected, await server.WaitForStdoutLinesAsync(expected.Count));
                }
            }
            finally
            {
                clients.ForEach(c => c.Dispose());
            }
        }
    }

    [Fact]
    public async Task SeedSingleEchoServer_SecondClient_WaitsUntilFirstLeavesThenIsServed()
    {
        using var cts = new CancellationTokenSource(PeerProcess.DefaultTimeout);
        var (server, port) = await SeedPeers.StartExampleServerAsync("SeedSingleEchoServer");
        using (server)
        {
            using var first = await ConnectAsync(port, cts.Token);
            await RoundTripAsync(first, "first\r\n", cts.Token);

            // The kernel completes the second connection (listen backlog), but the server is busy with the first.
            using var second = await ConnectAsync(port, cts.Token);
            await second.SendAsync(Encoding.ASCII.GetBytes("second\r\n"), cts.Token);
            await RoundTripAsync(first, "first again\r\n", cts.Token);

            Assert.Equal($"Connection accepted from 127.0.0.1:{first.Port()}", (await server.WaitForStdoutLinesAsync(2))[1]);
            Assert.False(second.Poll(TimeSpan.FromMilliseconds(300), SelectMode.SelectRead), "the second client was answered while the first was still served");
            Assert.Equal(2, server.StdoutLines.Count); // and not accepted either

            first.Shutdown(SocketShutdown.Send);
            Assert.Equal(0, await first.ReceiveAsync(new byte[16], cts.Token)); // the server closes it after EOF

            Assert.Equal("second\r\n", await ReceiveExactlyAsync(second, "second\r\n".Length, cts.Token));
            var log = await server.WaitForStdoutLinesAsync(3);
            Assert.Equal($"Connection accepted from 127.0.0.1:{second.Port()}", log[2]);
        }
    }

    private static async Task<Socket> ConnectAsync(int port, CancellationToken cancellationToken)
    {
        var socket = new Socket(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp);
        await socket.ConnectAsync(new IPEndPoint(IPAddress.Loopback, port), cancellationToken);
        return socket;
    }

    // Sends the text and reads back exactly as many bytes, checking they are the same.
    private static async Task RoundTripAsync(Socket socket, string text, CancellationToken cancellationToken)
    {
        var sending = socket.SendAsync(Encoding.ASCII.GetBytes(text), cancellationToken).AsTask();
        Assert.Equal(text, await ReceiveExactlyAsync(socket, text.Length, cancellationToken));
        await sending;
    }

    private static async Task<string> ReceiveExactlyAsync(Socket socket, int length, CancellationToken cancellationToken)
    {
        var buffer = new byte[length];
        var received = 0;
        while (received < length)
        {
            var n = await socket.ReceiveAsync(buffer.AsMemory(received), cancellationToken);
            Assert.True(n > 0, $"EOF after {received} of {length} bytes");
            received += n;
        }
        return Encoding.ASCII.GetString(buffer);
    }
}
