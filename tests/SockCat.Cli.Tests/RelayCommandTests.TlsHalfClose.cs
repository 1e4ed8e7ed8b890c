using System.Net.Security;
using System.Net.Sockets;
using System.Security.Cryptography;

namespace SockCat.Cli.Tests;

/// <summary>
/// <c>sockcat relay tls://FROM tcp://TO</c> when TO answers and then shuts down its side while the client still sends:
/// the client gets the answer, then close_notify and end of stream, and what it sends afterwards still reaches TO (as
/// socat's <c>openssl-listen</c> relay does).
/// </summary>
public sealed partial class RelayCommandTests
{
    [Fact]
    public async Task Relay_TlsFrom_TargetAnswersThenShutsDown_ClientReadsEndOfStreamThenStillSends()
    {
        var request = RandomNumberGenerator.GetBytes(64 * 1024 + 3);
        var answer = RandomNumberGenerator.GetBytes(1024 * 1024 + 9);
        var after = RandomNumberGenerator.GetBytes(512 * 1024 + 1);
        using var target = Listen();
        await using var relay = await Relay.StartAsync("tls://127.0.0.1:0", $"tcp://127.0.0.1:{Port(target)}");
        var serving = Task.Run(async () =>
        {
            using var peer = await target.AcceptAsync();
            var got = new byte[request.Length];
            var read = 0;
            while (read < got.Length)
            {
                var n = await peer.ReceiveAsync(got.AsMemory(read));
                Assert.True(n > 0, "the relay ended the request early");
                read += n;
            }

            await peer.SendAsync(answer);
            peer.Shutdown(SocketShutdown.Send);
            // Only ends when the client's own end came through the relay, after the bytes it sent past our FIN.
            return (Request: got, After: await ReadToEndAsync(peer));
        });

        using var socket = await ConnectAsync(relay.Port);
        await using var client = new SslStream(new NetworkStream(socket, ownsSocket: false), leaveInnerStreamOpen: false, (_, _, _, _) => true);
        await client.AuthenticateAsClientAsync(new SslClientAuthenticationOptions { TargetHost = "localhost" });
        await client.WriteAsync(request);
        var reply = new MemoryStream();
        using (var timeout = new CancellationTokenSource(CliRun.TestTimeout))
        {
            // Ends (0 bytes) only when the relay passed the target's FIN on as close_notify and FIN.
            await client.CopyToAsync(reply, timeout.Token);
        }

        Assert.Equal(answer, reply.ToArray());
        await client.WriteAsync(after);
        await client.ShutdownAsync();
        socket.Shutdown(SocketShutdown.Send);

        var (gotRequest, rest) = await serving.WaitAsync(CliRun.TestTimeout);
        Assert.Equal(request, gotRequest);
        Assert.Equal(after, rest);
        var result = await relay.StopAsync();
        Assert.Equal(ExitCodes.Success, result.ExitCode);
        Assert.Contains($"{request.Length + after.Length} bytes to it, {answer.Length} bytes back", result.Output);
    }
}
