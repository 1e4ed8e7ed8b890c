using System.Buffers;
using System.Security.Cryptography;
using System.Text;
using SockCat.Services.Transfer;

namespace SockCat.UnitTests.Services.Transfer;

/// <summary>
/// <c>framing: chunked</c> (docs/transfer.md): a stream without a size says where it ends in its bytes, so that the
/// receiver needs no FIN. Fed split at every point, byte by byte, and broken every way a sender or the wire can break it.
/// </summary>
public class ChunkedFramingTests
{
    private static readonly byte[] Payload = Encoding.ASCII.GetBytes("frame 1 of a video stream\nframe 2\x00\xff\n");

    [Fact]
    public void Chunked_EverySplitPointPair_PayloadAndTrailerRecovered()
    {
        // Chunks of 5, 0x0A (upper-case hex, leading zeros) and the rest, so that every kind of boundary is crossed:
        // inside a length line, at its LF, inside a chunk, at the end chunk, inside the trailer.
        var upload = Chunked("clip.ts", Payload, "5", "000A", (Payload.Length - 15).ToString("X"));
        for (var i = 0; i <= upload.Length; i++)
        {
            for (var j = i; j <= upload.Length; j++)
            {
                var (decoder, payload) = Feed(upload[..i], upload[i..j], upload[j..]);
                Assert.True(decoder.IsComplete, $"split at {i} and {j}");
                var sha = new byte[32];
                Assert.Null(decoder.Finish(payload, sha));
                Assert.Equal(Payload, payload.WrittenSpan.ToArray());
                Assert.Equal(SHA256.HashData(Payload), sha);
            }
        }
    }

    [Fact]
    public void Chunked_ByteByByte_CompleteAtTheTrailersLastByteAndNotBefore()
    {
        var upload = Chunked(null, Payload, "1", "2", "3", (Payload.Length - 6).ToString("x"));
        var decoder = new UploadDecoder();
        var payload = new ArrayBufferWriter<byte>();
        for (var i = 0; i < upload.Length; i++)
        {
            Assert.False(decoder.IsComplete, $"complete before byte {i}");
            decoder.Feed(upload.AsSpan(i, 1), payload);
        }

        Assert.True(decoder.IsComplete);
        Assert.True(decoder.Header!.Chunked);
        Assert.Null(decoder.Header.Size);
        Assert.Equal(Payload, payload.WrittenSpan.ToArray());
    }

    [Fact]
    public void Chunked_BytesAfterTheTrailer_AreDropped()
    {
        var upload = Chunked("a.bin", Payload, Payload.Length.ToString("x"));
        var (decoder, payload) = Feed([.. upload, .. "garbage after the end"u8]);
        Assert.True(decoder.IsComplete);
        var sha = new byte[32];
        Assert.Null(decoder.Finish(payload, sha));
        Assert.Equal(Payload, payload.WrittenSpan.ToArray());
    }

    [Fact]
    public void Chunked_LargestLengthIn16Digits_IsTakenAsAnnounced()
    {
        var (decoder, payload) = Feed([.. Header("a.bin"), .. "7FFFFFFFFFFFFFFF\n"u8, .. Payload]);
        Assert.Equal(UploadKind.Headered, decoder.Kind);
        Assert.Equal(Payload.Length, decoder.PayloadBytes);
        var problem = decoder.Finish(payload, new byte[32]);
        Assert.Equal(TransferError.Truncated, problem?.Error);
        Assert.Contains("inside a chunk", problem?.Message, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("xyz\n")]
    [InlineData("\n")]
    [InlineData("-5\n")]
    [InlineData("+5\n")]
    [InlineData("0x5\n")]
    [InlineData(" 5\n")]
    [InlineData("5 \n")]
    [InlineData("5\r\n")]
    [InlineData("5;name=x\n")]
    [InlineData("8000000000000000\n")]
    [InlineData("FFFFFFFFFFFFFFFF\n")]
    public void Chunked_BadLengthLine_FailsWithFraming(string line)
    {
        var upload = (byte[])[.. Header("a.bin"), .. "3\nabc"u8, .. Encoding.ASCII.GetBytes(line), .. "hello"u8];
        for (var i = 0; i <= upload.Length; i++)
        {
            var (decoder, payload) = Feed(upload[..i], upload[i..]);
            Assert.Equal(UploadKind.Failed, decoder.Kind);
            Assert.Equal(TransferError.Framing, decoder.Error);
            Assert.Contains("after 3 bytes", decoder.Problem, StringComparison.Ordinal);
            Assert.Equal("abc"u8.ToArray(), payload.WrittenSpan.ToArray());
            Assert.Equal((TransferError.Framing, decoder.Problem!), decoder.Finish(payload, new byte[32]));
        }
    }

    [Theory]
    [InlineData("00000000000000005\n")]
    [InlineData("5555555555555555555555555555555555555555")]
    public void Chunked_OverlongLengthLine_FailsOnceItPasses17Bytes_NotBuffered(string line)
    {
        var bytes = Encoding.ASCII.GetBytes(line);
        var decoder = new UploadDecoder();
        var payload = new ArrayBufferWriter<byte>();
        decoder.Feed(Header("a.bin"), payload);
        for (var i = 0; i < bytes.Length; i++)
        {
            decoder.Feed(bytes.AsSpan(i, 1), payload);
            Assert.Equal(i < TransferWire.MaxChunkLineLength ? UploadKind.Headered : UploadKind.Failed, decoder.Kind);
        }

        Assert.Equal(TransferError.Framing, decoder.Error);
        Assert.Contains("over 17 bytes", decoder.Problem, StringComparison.Ordinal);
    }

    [Fact]
    public void Chunked_SixteenDigitsWithLeadingZeros_IsALengthLine()
    {
        var upload = (byte[])[.. Header(null), .. "0000000000000003\nabc"u8, .. "0000000000000000\n"u8, .. Trailer("abc"u8.ToArray())];
        var (decoder, payload) = Feed(upload);
        Assert.True(decoder.IsComplete);
        Assert.Null(decoder.Finish(payload, new byte[32]));
        Assert.Equal("abc"u8.ToArray(), payload.WrittenSpan.ToArray());
    }

    [Fact]
    public void Chunked_EndsAtEveryPointBeforeItsEnd_TruncatedNeverAccepted()
    {
        var upload = Chunked("a.bin", Payload, "7", (Payload.Length - 7).ToString("x"));
        var header = Header("a.bin").Length;
        for (var cut = header; cut < upload.Length; cut++)
        {
            var (decoder, payload) = Feed(upload[..cut]);
            Assert.False(decoder.IsComplete);
            var problem = decoder.Finish(payload, new byte[32]);
            Assert.Equal(TransferError.Truncated, problem?.Error);
        }
    }

    [Fact]
    public void Chunked_Truncated_SaysWhere()
    {
        var upload = Chunked("a.bin", Payload, "7", (Payload.Length - 7).ToString("x"));
        var header = Header("a.bin").Length;
        Assert.Equal("the upload ended inside a chunk (5 bytes short), after 2 bytes", Finish(upload[..(header + 2 + 2)]).Message);
        Assert.Equal("the upload ended before its last chunk, after 7 bytes", Finish(upload[..(header + 2 + 7)]).Message);
        Assert.Equal("the upload ended before its last chunk, after 7 bytes", Finish(upload[..(header + 2 + 7 + 1)]).Message);
        Assert.Equal("the upload ended inside its trailer", Finish(upload[..^1]).Message);
    }

    [Fact]
    public void Chunked_TrailerThatIsNotOne_IsChecksum()
    {
        var upload = Chunked("a.bin", Payload, Payload.Length.ToString("x"));
        upload[^5] = (byte)'z';
        var (decoder, payload) = Feed(upload);
        Assert.True(decoder.IsComplete);
        Assert.Equal(TransferError.Checksum, decoder.Finish(payload, new byte[32])?.Error);
    }

    [Theory]
    [InlineData("sockcat-send 1\nsize: 5\nframing: chunked\n\n")]
    [InlineData("sockcat-send 1\nframing: gzip\n\n")]
    public void Header_ChunkedWithASize_OrAnUnknownFraming_IsRefused(string header)
    {
        var (decoder, _) = Feed(Encoding.ASCII.GetBytes(header));
        Assert.Equal(UploadKind.Failed, decoder.Kind);
        Assert.Equal(TransferError.Header, decoder.Error);
    }

    [Fact]
    public void OldSender_NoFramingKey_StillEndsAtTheEndOfInput()
    {
        var upload = (byte[])[.. "sockcat-send 1\nname: a.bin\n\n"u8, .. Payload, .. Trailer(Payload)];
        var (decoder, payload) = Feed(upload);
        Assert.False(decoder.IsComplete);
        var sha = new byte[32];
        Assert.Null(decoder.Finish(payload, sha));
        Assert.Equal(Payload, payload.WrittenSpan.ToArray());
    }

    [Theory]
    [InlineData(1)]
    [InlineData(5)]
    [InlineData(9)]
    [InlineData(10)]
    [InlineData(4096)]
    [InlineData(1 << 20)]
    public void UploadStream_Chunked_AnyReadSize_DecodesBackToTheSource(int readSize)
    {
        var source = RandomNumberGenerator.GetBytes(100_000);
        using var stream = new UploadStream(new MemoryStream(source), new TransferHeader("s.bin", null, chunked: true));
        var wire = new MemoryStream();
        var buffer = new byte[readSize];
        int n;
        while ((n = stream.Read(buffer)) > 0)
        {
            wire.Write(buffer, 0, n);
        }

        var bytes = wire.ToArray();
        Assert.StartsWith("sockcat-send 1\nname: s.bin\nframing: chunked\n\n", Encoding.Latin1.GetString(bytes), StringComparison.Ordinal);
        Assert.Equal(source.Length, stream.PayloadBytes);
        var (decoder, payload) = Feed(bytes);
        Assert.True(decoder.IsComplete);
        var sha = new byte[32];
        Assert.Null(decoder.Finish(payload, sha));
        Assert.Equal(source, payload.WrittenSpan.ToArray());
        Assert.Equal(SHA256.HashData(source), sha);
    }

    [Fact]
    public async Task UploadStream_ChunkedAsync_EachReadOneChunkWithAnEightDigitLine()
    {
        var source = RandomNumberGenerator.GetBytes(3000);
        await using var stream = new UploadStream(new MemoryStream(source), new TransferHeader(null, null, chunked: true));
        var buffer = new byte[1009];
        var header = await stream.ReadAsync(buffer.AsMemory(), CancellationToken.None);
        Assert.Equal("sockcat-send 1\nframing: chunked\n\n", Encoding.ASCII.GetString(buffer, 0, header));
        Assert.Equal(1009, await stream.ReadAsync(buffer.AsMemory(), CancellationToken.None));
        Assert.Equal("000003e8\n", Encoding.ASCII.GetString(buffer, 0, 9));
        Assert.Equal(source[..1000], buffer[9..]);
        var rest = new MemoryStream();
        await stream.CopyToAsync(rest);
        Assert.EndsWith($"0\nsha256: {Convert.ToHexStringLower(SHA256.HashData(source))}\n", Encoding.Latin1.GetString(rest.ToArray()), StringComparison.Ordinal);
    }

    [Fact]
    public void TransferHeader_SizeAndChunked_IsRefused()
    {
        Assert.Throws<ArgumentException>(() => new TransferHeader("a", 5, chunked: true));
    }

    [Fact]
    public void Features_EverySplit_ReadAsChunked()
    {
        var line = "features: chunked\n"u8.ToArray();
        Assert.Equal(line, TransferWire.Features.ToArray());
        for (var i = 0; i < line.Length; i++)
        {
            Assert.Null(TransferWire.ReadFeatures(line.AsSpan(0, i), out _));
        }

        Assert.Equal(line.Length, TransferWire.ReadFeatures(line, out var chunked));
        Assert.True(chunked);
    }

    [Theory]
    [InlineData("features: chunked gzip\n", true)]
    [InlineData("features: gzip  chunked\nok 5", true)]
    [InlineData("features:\n", false)]
    [InlineData("features: chunkedish\n", false)]
    public void Features_ListsOfWords_ChunkedOnlyWhenListed(string text, bool expected)
    {
        Assert.Equal(text.IndexOf('\n') + 1, TransferWire.ReadFeatures(Encoding.ASCII.GetBytes(text), out var chunked));
        Assert.Equal(expected, chunked);
    }

    [Theory]
    [InlineData("ok 5 ")]
    [InlineData("error name x\n")]
    [InlineData("feat\n")]
    public void Features_AnythingElse_IsNoFeaturesLine(string text)
    {
        Assert.Equal(0, TransferWire.ReadFeatures(Encoding.ASCII.GetBytes(text), out var chunked));
        Assert.False(chunked);
    }

    [Fact]
    public void Features_NoLineFeedWithinTheLimit_IsNoFeaturesLine()
    {
        var text = Encoding.ASCII.GetBytes("features: " + new string('x', TransferWire.MaxFeaturesBytes));
        Assert.Null(TransferWire.ReadFeatures(text.AsSpan(0, TransferWire.MaxFeaturesBytes - 1), out _));
        Assert.Equal(0, TransferWire.ReadFeatures(text, out _));
    }

    [Fact]
    public void Receiver_Greeting_IsTheGreetingThenTheFeaturesLine()
    {
        Assert.Equal([.. TransferWire.Greeting, .. TransferWire.Features], ReceiveProtocol.Greeting.ToArray());
    }

    private static (string Error, string Message) Finish(byte[] upload)
    {
        var (decoder, payload) = Feed(upload);
        return decoder.Finish(payload, new byte[32])!.Value;
    }

    private static (UploadDecoder Decoder, ArrayBufferWriter<byte> Payload) Feed(params byte[][] pieces)
    {
        var decoder = new UploadDecoder();
        var payload = new ArrayBufferWriter<byte>();
        foreach (var piece in pieces)
        {
            decoder.Feed(piece, payload);
        }

        return (decoder, payload);
    }

    private static byte[] Header(string? name) =>
        Encoding.UTF8.GetBytes("sockcat-send 1\n" + (name is null ? "" : $"name: {name}\n") + "framing: chunked\n\n");

    private static byte[] Trailer(byte[] payload) => Encoding.ASCII.GetBytes($"sha256: {Convert.ToHexStringLower(SHA256.HashData(payload))}\n");

    /// <summary>An upload as docs/transfer.md spells it: the payload cut into chunks whose length lines are given as written.</summary>
    private static byte[] Chunked(string? name, byte[] payload, params string[] lengths)
    {
        var wire = new List<byte>(Header(name));
        var at = 0;
        foreach (var hex in lengths)
        {
            var n = Convert.ToInt32(hex, 16);
            wire.AddRange(Encoding.ASCII.GetBytes(hex + "\n"));
            wire.AddRange(payload.AsSpan(at, n).ToArray());
            at += n;
        }

        Assert.Equal(payload.Length, at);
        wire.AddRange("0\n"u8.ToArray());
        wire.AddRange(Trailer(payload));
        return [.. wire];
    }
}
