using System.Globalization;

namespace SockCat.Services.Transfer;

/// <summary>A <c>framing: chunked</c> payload: each chunk a hex length line and that many bytes, a zero-length chunk ends it, then the trailer.</summary>
public sealed partial class UploadDecoder
{
    private readonly byte[] _chunkLine = new byte[TransferWire.MaxChunkLineLength];
    private int _chunkLineLength;
    private long _chunkLeft;
    private bool _chunksEnded;

    private void FeedChunked(ReadOnlySpan<byte> data, System.Buffers.IBufferWriter<byte> payload)
    {
        while (!data.IsEmpty && Kind == UploadKind.Headered)
        {
            if (_chunksEnded)
            {
                // The trailer; what comes after it is dropped.
                var take = Math.Min(data.Length, _tail.Length - _tailLength);
                data[..take].CopyTo(_tail.AsSpan(_tailLength));
                _tailLength += take;
                return;
            }

            if (_chunkLeft > 0)
            {
                var take = (int)Math.Min(data.Length, _chunkLeft);
                Emit(data[..take], payload);
                _chunkLeft -= take;
                data = data[take..];
                continue;
            }

            // A length line, perhaps split over several reads: gather it, bounded, up to its LF.
            var lf = data.IndexOf((byte)'\n');
            var piece = lf < 0 ? data : data[..(lf + 1)];
            if (_chunkLineLength + piece.Length > _chunkLine.Length)
            {
                Fail($"a chunk length line after {Bytes(PayloadBytes)} bytes is over {TransferWire.MaxChunkLineLength} bytes (16 hex digits and LF)", TransferError.Framing);
                return;
            }

            piece.CopyTo(_chunkLine.AsSpan(_chunkLineLength));
            _chunkLineLength += piece.Length;
            data = data[piece.Length..];
            if (lf < 0)
            {
                return;
            }

            var digits = _chunkLine.AsSpan(0, _chunkLineLength - 1);
            if (!TransferWire.TryParseChunkLength(digits, out var length))
            {
                Fail($"the chunk length line '{Printable(digits)}' after {Bytes(PayloadBytes)} bytes is not 1 to 16 hex digits", TransferError.Framing);
                return;
            }

            _chunkLineLength = 0;
            _chunkLeft = length;
            _chunksEnded = length == 0;
        }
    }

    private (string Error, string Message)? FinishChunked(Span<byte> sha256)
    {
        if (!_chunksEnded)
        {
            var where = _chunkLeft > 0 ? $"inside a chunk ({Bytes(_chunkLeft)} bytes short)" : "before its last chunk";
            return (TransferError.Truncated, $"the upload ended {where}, after {Bytes(PayloadBytes)} bytes");
        }

        if (_tailLength < _tail.Length)
        {
            return (TransferError.Truncated, "the upload ended inside its trailer");
        }

        return TransferWire.TryParseTrailer(_tail, sha256)
            ? null
            : (TransferError.Checksum, $"the {TransferWire.TrailerLength} bytes after the last chunk are not a sha256 trailer");
    }

    private static string Bytes(long n) => n.ToString(CultureInfo.InvariantCulture);

    private static string Printable(ReadOnlySpan<byte> line)
    {
        var chars = new char[line.Length];
        for (var i = 0; i < line.Length; i++)
        {
            chars[i] = line[i] is >= 0x20 and < 0x7f ? (char)line[i] : '?';
        }

        return new string(chars);
    }
}
