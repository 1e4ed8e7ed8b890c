using System.Net.Security;
using System.Net.Sockets;
using System.Security.Cryptography;
using System.Text;

namespace SockCat.Cli.Tests.Transfer;

/// <summary>
/// A tls:// receiver on the engine's loop reads a sender's close_notify and FIN as the end of its upload and still
/// answers, as over tcp://: a sender from before chunks (no framing key, no size) gets its verdict.
/// </summary>
public class TlsHalfCloseTests
{
    [Fact]
    public async Task OldSender_NoFramingKey_OverTls_EndedByCloseNotifyAndFin_GetsItsVerdict()
    {
        // Before tls:// could half-close this upload was stored, but the sender read no verdict (Kestrel took the FIN for a close).
        await using var receiver = await TestReceiver.StartAsync(tls: true);
        var payload = RandomNumberGenerator.GetBytes(200_000);
        using var socket = await receiver.ConnectAsync();
        await using var ssl = new SslStream(new NetworkStream(socket, ownsSocket: false), leaveInnerStreamOpen: false, (_, _, _, _) => true);
        await ssl.AuthenticateAsClientAsync(new SslClientAuthenticationOptions { TargetHost = "localhost" });
        await ssl.WriteAsync((byte[])[.. TransferFiles.Header("old.bin", null), .. payload, .. TransferFiles.Trailer(payload)]);
        await ssl.ShutdownAsync();
        socket.Shutdown(SocketShutdown.Send);

        var answer = new MemoryStream();
        using (var timeout = new CancellationTokenSource(CliRun.TestTimeout))
        {
            await ssl.CopyToAsync(answer, timeout.Token);
        }

        var sha = Convert.ToHexStringLower(SHA256.HashData(payload));
        Assert.Equal($"sockcat-recv 1\nfeatures: chunked\nok 200000 {sha} old.bin\n", Encoding.ASCII.GetString(answer.ToArray()));
        Assert.Equal(sha, receiver.HashOf("old.bin"));
    }
}
