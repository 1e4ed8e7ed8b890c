using System.Buffers;
using System.Net;
using System.Net.Sockets;
using System.Security.Cryptography;
using System.Text;
using SockCat.Services.Transfer;

namespace SockCat.Cli.Tests.Transfer;

/// <summary>
/// A stream from stdin (no size) to `sockcat recv`: the sender frames it in chunks (docs/transfer.md) so that the end
/// is in the bytes, not in a FIN that a tls:// receiver hosted on Kestrel takes for a close. Senders and receivers from
/// before chunks still meet: a receiver without a features line gets a half-close, a sender without a framing key is
/// read to its FIN.
/// </summary>
public class StdinFramingTests
{
    [Theory]
    [InlineData(false)]
    [InlineData(true)]
    public async Task Send_Stdin_VerdictArrives_StoredWhole(bool tls)
    {
        // Over tls:// this failed before chunks: the upload was stored, but the sender exited 4 without a verdict.
        await using var receiver = await TestReceiver.StartAsync(tls: tls);
        var payload = RandomNumberGenerator.GetBytes(5 << 20);
        string[] args = tls
            ? ["send", receiver.Url.ToString(), "-", "--verify", "--name", "stream.bin", "--insecure"]
            : ["send", receiver.Url.ToString(), "-", "--verify", "--name", "stream.bin"];
        var result = await CliRun.InvokeAsync(payload, args);
        Assert.True(result.ExitCode == 0, result.Error);
        var sha = Convert.ToHexStringLower(SHA256.HashData(payload));
        Assert.Contains($"sha256 {sha} verified", result.Error, StringComparison.Ordinal);
        Assert.True((await receiver.NextOutcomeAsync()).Verified);
        Assert.Equal(["stream.bin"], receiver.Entries());
        Assert.Equal(sha, receiver.HashOf("stream.bin"));
    }

    [Fact]
    public async Task Send_Stdin_ToAReceiverWithoutFeatures_HalfClosesAsBefore()
    {
        // A receiver from before the features line: it greets with one line and reads to the sender's FIN.
        using var listener = new Socket(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp);
        listener.Bind(new IPEndPoint(IPAddress.Loopback, 0));
        listener.Listen();
        var oldReceiver = ReceiveLikeVersion1Async(listener);
        var payload = RandomNumberGenerator.GetBytes(300_000);
        var result = await CliRun.InvokeAsync(payload, "send", $"tcp://127.0.0.1:{((IPEndPoint)listener.LocalEndPoint!).Port}", "-", "--verify", "--name", "old.bin");
        Assert.True(result.ExitCode == 0, result.Error);
        var (header, stored) = await oldReceiver.WaitAsync(CliRun.TestTimeout);
        Assert.False(header.Chunked);
        Assert.Equal("old.bin", header.Name);
        Assert.Equal(payload, stored);
    }

    [Fact]
    public async Task OldSender_NoFramingKey_EndedByItsFin_StillStored()
    {
        await using var receiver = await TestReceiver.StartAsync();
        var payload = RandomNumberGenerator.GetBytes(200_000);
        using var client = await receiver.ConnectAsync();
        await client.SendAsync((byte[])[.. TransferFiles.Header("old.bin", null), .. payload, .. TransferFiles.Trailer(payload)]);
        client.Shutdown(SocketShutdown.Send);
        var sha = Convert.ToHexStringLower(SHA256.HashData(payload));
        Assert.Equal($"sockcat-recv 1\nfeatures: chunked\nok 200000 {sha} old.bin\n", await ReadToEndAsync(client));
        Assert.Equal(sha, receiver.HashOf("old.bin"));
    }

    [Fact]
    public async Task ChunkedByHand_NoHalfClose_VerdictArrivesAndTheReceiverCloses()
    {
        await using var receiver = await TestReceiver.StartAsync();
        var payload = Encoding.ASCII.GetBytes("a line of a log\nanother line\n");
        using var client = await receiver.ConnectAsync();
        await client.SendAsync(Chunked("log.txt", ("f", payload[..15]), ("E", payload[15..])));
        var sha = Convert.ToHexStringLower(SHA256.HashData(payload));
        Assert.Equal($"sockcat-recv 1\nfeatures: chunked\nok {payload.Length} {sha} log.txt\n", await ReadToEndAsync(client));
        Assert.Equal(sha, receiver.HashOf("log.txt"));
    }

    [Fact]
    public async Task Chunked_BadLengthLine_RefusedWithFraming_NothingSaved()
    {
        await using var receiver = await TestReceiver.StartAsync();
        using var client = await receiver.ConnectAsync();
        await client.SendAsync((byte[])[.. Header("bad.bin"), .. "5\nhello"u8, .. "zz\nmore bytes"u8]);
        var answer = await ReadToEndAsync(client, shutdownFirst: true);
        Assert.StartsWith("sockcat-recv 1\nfeatures: chunked\nerror framing the chunk length line 'zz' after 5 bytes", answer, StringComparison.Ordinal);
        Assert.Equal(TransferError.Framing, (await receiver.NextOutcomeAsync()).Verdict.Error);
        Assert.Empty(receiver.Entries());
    }

    [Fact]
    public async Task Chunked_SenderStopsInsideAChunk_Truncated_NothingLeftBehind()
    {
        await using var receiver = await TestReceiver.StartAsync();
        using var client = await receiver.ConnectAsync();
        await client.SendAsync((byte[])[.. Header("cut.bin"), .. "100000\n"u8, .. new byte[300_000]]);
        var answer = await ReadToEndAsync(client, shutdownFirst: true);
        Assert.Contains("error truncated the upload ended inside a chunk (748576 bytes short), after 300000 bytes", answer, StringComparison.Ordinal);
        Assert.Equal(TransferError.Truncated, (await receiver.NextOutcomeAsync()).Verdict.Error);
        Assert.Empty(receiver.Entries());
    }

    private static byte[] Header(string name) => Encoding.ASCII.GetBytes($"sockcat-send 1\nname: {name}\nframing: chunked\n\n");

    private static byte[] Chunked(string name, params (string Hex, byte[] Bytes)[] chunks)
    {
        var wire = new List<byte>(Header(name));
        var all = new List<byte>();
        foreach (var (hex, bytes) in chunks)
        {
            wire.AddRange(Encoding.ASCII.GetBytes(hex + "\n"));
            wire.AddRange(bytes);
            all.AddRange(bytes);
        }

        wire.AddRange("0\n"u8.ToArray());
        wire.AddRange(TransferFiles.Trailer([.. all]));
        return [.. wire];
    }

    private static async Task<string> ReadToEndAsync(Socket client, bool shutdownFirst = false)
    {
        if (shutdownFirst)
        {
            client.Shutdown(SocketShutdown.Send);
        }

        using var cts = new CancellationTokenSource(CliRun.TestTimeout);
        var answer = new MemoryStream();
        var buffer = new byte[4096];
        int n;
        while ((n = await client.ReceiveAsync(buffer, cts.Token)) > 0)
        {
            answer.Write(buffer, 0, n);
        }

        return Encoding.UTF8.GetString(answer.ToArray());
    }

    /// <summary>What a receiver did before the features line: greet with one line, read everything to the FIN, answer.</summary>
    private static async Task<(TransferHeader Header, byte[] Payload)> ReceiveLikeVersion1Async(Socket listener)
    {
        using var connection = await listener.AcceptAsync();
        await connection.SendAsync("sockcat-recv 1\n"u8.ToArray());
        var decoder = new UploadDecoder();
        var payload = new ArrayBufferWriter<byte>();
        var buffer = new byte[65536];
        int n;
        while ((n = await connection.ReceiveAsync(buffer)) > 0)
        {
            decoder.Feed(buffer.AsSpan(0, n), payload);
        }

        var sha = new byte[32];
        Assert.Null(decoder.Finish(payload, sha));
        var verdict = new ArrayBufferWriter<byte>();
        TransferWire.WriteVerdict(verdict, TransferVerdict.Saved("old.bin", payload.WrittenCount, Convert.ToHexStringLower(sha)));
        await connection.SendAsync(verdict.WrittenMemory);
        return (decoder.Header!, payload.WrittenSpan.ToArray());
    }
}
