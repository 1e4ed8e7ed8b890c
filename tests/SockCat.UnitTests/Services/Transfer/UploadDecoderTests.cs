using System.Buffers;
using System.Security.Cryptography;
using System.Text;
using SockCat.Services.Transfer;

namespace SockCat.UnitTests.Services.Transfer;

public class UploadDecoderTests
{
    private static readonly byte[] Payload = Encoding.ASCII.GetBytes("%PDF-1.7 a small print job\n\x0c");

    [Fact]
    public void Headered_EverySplitPoint_PayloadAndTrailerRecovered()
    {
        var upload = Encode("report.pdf", Payload.Length, Payload);
        for (var i = 0; i <= upload.Length; i++)
        {
            for (var j = i; j <= upload.Length; j += 7)
            {
                var decoder = new UploadDecoder();
                var payload = new ArrayBufferWriter<byte>();
                decoder.Feed(upload.AsSpan(0, i), payload);
                decoder.Feed(upload.AsSpan(i, j - i), payload);
                decoder.Feed(upload.AsSpan(j), payload);
                var sha = new byte[32];
                Assert.Null(decoder.Finish(payload, sha));
                Assert.Equal(UploadKind.Headered, decoder.Kind);
                Assert.Equal("report.pdf", decoder.Header!.Name);
                Assert.Equal(Payload.Length, decoder.Header.Size);
                Assert.Equal(Payload, payload.WrittenSpan.ToArray());
                Assert.Equal(SHA256.HashData(Payload), sha);
            }
        }
    }

    [Fact]
    public void Bare_BytesThatAreNotTheMagic_AreAllPayload()
    {
        var raw = Encoding.ASCII.GetBytes("\x1b%-12345X@PJL JOB\r\nprint me");
        for (var i = 0; i <= raw.Length; i++)
        {
            var decoder = new UploadDecoder();
            var payload = new ArrayBufferWriter<byte>();
            decoder.Feed(raw.AsSpan(0, i), payload);
            decoder.Feed(raw.AsSpan(i), payload);
            Assert.Null(decoder.Finish(payload, new byte[32]));
            Assert.Equal(UploadKind.Raw, decoder.Kind);
            Assert.Equal(raw, payload.WrittenSpan.ToArray());
        }
    }

    [Fact]
    public void Bare_APrefixOfTheMagicThenEnd_IsPayload()
    {
        var decoder = new UploadDecoder();
        var payload = new ArrayBufferWriter<byte>();
        decoder.Feed("sock"u8, payload);
        Assert.Equal(UploadKind.Unknown, decoder.Kind);
        Assert.Null(decoder.Finish(payload, new byte[32]));
        Assert.Equal("sock"u8.ToArray(), payload.WrittenSpan.ToArray());
    }

    [Fact]
    public void Empty_NothingReceived_IsReportedEmpty()
    {
        var decoder = new UploadDecoder();
        Assert.Equal(TransferError.Empty, decoder.Finish(new ArrayBufferWriter<byte>(), new byte[32])?.Error);
    }

    [Fact]
    public void Truncated_EndsBeforeTheTrailer_SaysHowFarItGot()
    {
        var upload = Encode("a.bin", Payload.Length, Payload);
        var decoder = new UploadDecoder();
        var payload = new ArrayBufferWriter<byte>();
        decoder.Feed(upload.AsSpan(0, upload.Length - TransferWire.TrailerLength - 3), payload);
        var problem = decoder.Finish(payload, new byte[32]);
        Assert.Equal(TransferError.Truncated, problem?.Error);
        Assert.Contains($"of {Payload.Length} bytes", problem?.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void SizeMismatch_MoreBytesThanDeclared_IsRefused()
    {
        var upload = Encode("a.bin", Payload.Length - 1, Payload);
        var decoder = new UploadDecoder();
        decoder.Feed(upload, new ArrayBufferWriter<byte>());
        Assert.Equal(TransferError.Checksum, decoder.Finish(new ArrayBufferWriter<byte>(), new byte[32])?.Error);
    }

    [Fact]
    public void Sized_CompleteAtTheTrailersLastByte_WithoutEndOfInput()
    {
        var upload = Encode("a.bin", Payload.Length, Payload);
        var decoder = new UploadDecoder();
        var payload = new ArrayBufferWriter<byte>();
        decoder.Feed(upload.AsSpan(0, upload.Length - 1), payload);
        Assert.False(decoder.IsComplete);
        decoder.Feed(upload.AsSpan(upload.Length - 1), payload);
        Assert.True(decoder.IsComplete);
        var sha = new byte[32];
        Assert.Null(decoder.Finish(payload, sha));
        Assert.Equal(SHA256.HashData(Payload), sha);
        Assert.Equal(Payload, payload.WrittenSpan.ToArray());
    }

    [Fact]
    public void NoSize_StreamOfUnknownLength_IsAccepted()
    {
        var upload = Encode(null, null, Payload);
        var decoder = new UploadDecoder();
        var payload = new ArrayBufferWriter<byte>();
        decoder.Feed(upload, payload);
        Assert.Null(decoder.Finish(payload, new byte[32]));
        Assert.Null(decoder.Header!.Name);
        Assert.Equal(Payload, payload.WrittenSpan.ToArray());
    }

    [Theory]
    [InlineData("sockcat-send 1\nname report.pdf\n\n")]
    [InlineData("sockcat-send 1\nsize: -4\n\n")]
    [InlineData("sockcat-send 1\nsize: 12x\n\n")]
    public void MalformedHeader_IsFailedWithAReason(string header)
    {
        var decoder = new UploadDecoder();
        decoder.Feed(Encoding.ASCII.GetBytes(header), new ArrayBufferWriter<byte>());
        Assert.Equal(UploadKind.Failed, decoder.Kind);
        Assert.NotNull(decoder.Problem);
    }

    [Fact]
    public void OverlongHeader_IsFailedNotBuffered()
    {
        var decoder = new UploadDecoder();
        decoder.Feed(Encoding.ASCII.GetBytes("sockcat-send 1\nname: " + new string('a', 5000)), new ArrayBufferWriter<byte>());
        Assert.Equal(UploadKind.Failed, decoder.Kind);
    }

    [Fact]
    public void UnknownHeaderKeys_AreSkipped()
    {
        var decoder = new UploadDecoder();
        decoder.Feed("sockcat-send 1\nname: x.txt\nmode: 0644\n\n"u8, new ArrayBufferWriter<byte>());
        Assert.Equal(UploadKind.Headered, decoder.Kind);
        Assert.Equal("x.txt", decoder.Header!.Name);
    }

    [Fact]
    public void UploadStream_ItsBytes_DecodeBackToTheSource()
    {
        var source = RandomNumberGenerator.GetBytes(300_000);
        using var stream = new UploadStream(new MemoryStream(source), new TransferHeader("big.bin", source.Length));
        var wire = new MemoryStream();
        stream.CopyTo(wire, 4096);
        Assert.Equal(SHA256.HashData(source), stream.Sha256);
        Assert.Equal(source.Length, stream.PayloadBytes);

        var decoder = new UploadDecoder();
        var payload = new ArrayBufferWriter<byte>();
        foreach (var piece in wire.ToArray().Chunk(1000))
        {
            decoder.Feed(piece, payload);
        }

        var sha = new byte[32];
        Assert.Null(decoder.Finish(payload, sha));
        Assert.Equal(source, payload.WrittenSpan.ToArray());
        Assert.Equal(SHA256.HashData(source), sha);
    }

    [Fact]
    public void Verdict_WrittenThenParsed_RoundTrips()
    {
        var writer = new ArrayBufferWriter<byte>();
        TransferWire.WriteVerdict(writer, TransferVerdict.Saved("my report.pdf", 42, new string('a', 64)));
        Assert.Equal("ok 42 " + new string('a', 64) + " my report.pdf\n", Encoding.UTF8.GetString(writer.WrittenSpan));
        Assert.True(TransferWire.TryParseVerdict(writer.WrittenSpan[..^1], out var saved));
        Assert.True(saved!.Succeeded);
        Assert.Equal("my report.pdf", saved.Name);

        writer.Clear();
        TransferWire.WriteVerdict(writer, TransferVerdict.Refused(TransferError.Name, "'../x' is a path"));
        Assert.True(TransferWire.TryParseVerdict(writer.WrittenSpan[..^1], out var refused));
        Assert.Equal(TransferError.Name, refused!.Error);
        Assert.Equal("'../x' is a path", refused.Message);
    }

    /// <summary>The bytes of an upload as docs/transfer.md spells them (and as printf would write them).</summary>
    private static byte[] Encode(string? name, long? size, byte[] payload)
    {
        var text = new StringBuilder("sockcat-send 1\n");
        if (name is not null)
        {
            text.Append($"name: {name}\n");
        }

        if (size is not null)
        {
            text.Append($"size: {size}\n");
        }

        text.Append('\n');
        var trailer = $"sha256: {Convert.ToHexStringLower(SHA256.HashData(payload))}\n";
        return [.. Encoding.UTF8.GetBytes(text.ToString()), .. payload, .. Encoding.ASCII.GetBytes(trailer)];
    }
}
