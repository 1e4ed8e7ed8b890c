using System.Buffers;
using System.Globalization;
using System.Text;

namespace SockCat.Services.Transfer;

/// <summary>What a <see cref="UploadDecoder"/> has made of an upload so far.</summary>
public enum UploadKind
{
    /// <summary>Too few bytes yet to tell a header from bare bytes.</summary>
    Unknown,

    /// <summary>Bare bytes, as <c>nc host port &lt; file</c> or a printer driver sends them: everything is payload.</summary>
    Raw,

    /// <summary>An upload with a header and a SHA-256 trailer (<c>sockcat send</c>, or a program speaking docs/transfer.md).</summary>
    Headered,

    /// <summary>The header was malformed, or a chunked payload's framing broken; see <see cref="UploadDecoder.Problem"/>.</summary>
    Failed,
}

/// <summary>
/// The receiving side of the transfer protocol, sans-IO: fed the bytes of one upload as they arrive, it tells a header
/// from bare bytes by the first bytes (an upload that does not start with <see cref="TransferWire.HeaderMagic"/> is bare),
/// reads the header, and passes the payload on to an <see cref="IBufferWriter{T}"/>: the header's <c>size</c> bytes, or
/// the chunks of a <c>framing: chunked</c> payload without their length lines, or, with neither (a sender that ends with
/// a half-close), everything but the last <see cref="TransferWire.TrailerLength"/> bytes, which are the trailer once the
/// input ends. It never hashes, stores or answers: that is the caller's.
/// </summary>
public sealed partial class UploadDecoder
{
    private readonly byte[] _head = new byte[TransferWire.MaxHeaderBytes];
    private readonly byte[] _tail = new byte[TransferWire.TrailerLength];
    private int _headLength;
    private int _tailLength;

    /// <summary>Raw, headered, failed, or not known yet.</summary>
    public UploadKind Kind { get; private set; }

    /// <summary>The header, once read.</summary>
    public TransferHeader? Header { get; private set; }

    /// <summary>Why the header or the chunks could not be read (with <see cref="UploadKind.Failed"/>).</summary>
    public string? Problem { get; private set; }

    /// <summary>
    /// The <see cref="TransferError"/> code that goes with <see cref="Problem"/>: <see cref="TransferError.Header"/> or
    /// <see cref="TransferError.Framing"/>.
    /// </summary>
    public string? Error { get; private set; }

    /// <summary>Payload bytes passed on so far.</summary>
    public long PayloadBytes { get; private set; }

    /// <summary>
    /// True when the header gave a size and that many bytes and the trailer have all arrived, or the payload was chunked
    /// and its last (zero-length) chunk and the trailer have arrived: the upload is whole without waiting for the end of
    /// input (a sender that does not half-close, a TLS connection). Bytes after it are dropped.
    /// </summary>
    public bool IsComplete => Kind == UploadKind.Headered && _tailLength == _tail.Length && (Header!.Size is { } size ? PayloadBytes == size : _chunksEnded);

    /// <summary>
    /// Takes the next bytes of the upload; payload bytes are written to <paramref name="payload"/>. Consumes all of
    /// <paramref name="data"/> (what it must hold back it copies). After <see cref="UploadKind.Failed"/> it discards.
    /// </summary>
    /// <returns>True when <see cref="Header"/> was read by this call.</returns>
    public bool Feed(ReadOnlySpan<byte> data, IBufferWriter<byte> payload)
    {
        ArgumentNullException.ThrowIfNull(payload);
        switch (Kind)
        {
            case UploadKind.Raw:
                Emit(data, payload);
                return false;
            case UploadKind.Headered:
                FeedHeadered(data, payload);
                return false;
            case UploadKind.Failed:
                return false;
        }

        // Unknown: gather the magic line and the header in _head.
        var take = Math.Min(data.Length, _head.Length - _headLength);
        data[..take].CopyTo(_head.AsSpan(_headLength));
        _headLength += take;
        var rest = data[take..];
        var magic = TransferWire.HeaderMagic;
        var compared = Math.Min(_headLength, magic.Length);
        if (!_head.AsSpan(0, compared).SequenceEqual(magic[..compared]))
        {
            Kind = UploadKind.Raw;
            Emit(_head.AsSpan(0, _headLength), payload);
            Emit(rest, payload);
            return false;
        }

        if (_headLength < magic.Length)
        {
            return false;
        }

        // From the magic line's own LF, so that a header with no lines ("sockcat-send 1\n\n") ends too.
        var end = _head.AsSpan(magic.Length - 1, _headLength - magic.Length + 1).IndexOf("\n\n"u8);
        if (end < 0)
        {
            if (_headLength == _head.Length)
            {
                Fail($"the header is over {TransferWire.MaxHeaderBytes} bytes, or has no blank line after it");
            }

            return false;
        }

        var headerEnd = magic.Length + end + 1;
        if (!TryParseHeader(_head.AsSpan(magic.Length, end), out var header, out var problem))
        {
            Fail(problem!);
            return true;
        }

        Header = header;
        Kind = UploadKind.Headered;
        FeedHeadered(_head.AsSpan(headerEnd, _headLength - headerEnd), payload);
        FeedHeadered(rest, payload);
        return true;
    }

    /// <summary>
    /// The input ended. Passes on what was held back when the upload was bare (or too short to tell), and for a headered
    /// upload reads the trailer into <paramref name="sha256"/> (32 bytes).
    /// </summary>
    /// <returns>
    /// Null when the upload ended well (bare bytes, or a header and a well-formed trailer); otherwise why not, as an
    /// error code of <see cref="TransferError"/> and a message.
    /// </returns>
    public (string Error, string Message)? Finish(IBufferWriter<byte> payload, Span<byte> sha256)
    {
        ArgumentNullException.ThrowIfNull(payload);
        switch (Kind)
        {
            case UploadKind.Unknown when _headLength < TransferWire.HeaderMagic.Length:
                // Fewer bytes than the magic line, all of them its prefix: a tiny bare upload ("so").
                Kind = UploadKind.Raw;
                Emit(_head.AsSpan(0, _headLength), payload);
                return PayloadBytes == 0 ? (TransferError.Empty, "no bytes received") : null;
            case UploadKind.Unknown:
                return (TransferError.Truncated, "the upload ended inside its header");
            case UploadKind.Raw:
                return PayloadBytes == 0 ? (TransferError.Empty, "no bytes received") : null;
            case UploadKind.Failed:
                return (Error!, Problem!);
        }

        if (Header!.Chunked)
        {
            return FinishChunked(sha256);
        }

        var size = Header.Size;
        if (size is { } expected)
        {
            if (PayloadBytes < expected)
            {
                return (TransferError.Truncated, $"{PayloadBytes.ToString(CultureInfo.InvariantCulture)} of {expected.ToString(CultureInfo.InvariantCulture)} bytes arrived");
            }

            if (_tailLength < _tail.Length)
            {
                return (TransferError.Truncated, "the upload ended inside its trailer");
            }

            return TransferWire.TryParseTrailer(_tail, sha256)
                ? null
                : (TransferError.Checksum, $"the {TransferWire.TrailerLength} bytes after the {expected.ToString(CultureInfo.InvariantCulture)} the header announced are not a sha256 trailer");
        }

        if (!TransferWire.TryParseTrailer(_tail.AsSpan(0, _tailLength), sha256))
        {
            var got = PayloadBytes + _tailLength;
            return (TransferError.Truncated, $"the upload ended without its trailer, after {got.ToString(CultureInfo.InvariantCulture)} bytes");
        }

        return null;
    }

    private void Fail(string problem, string error = TransferError.Header)
    {
        Kind = UploadKind.Failed;
        Problem = problem;
        Error = error;
    }

    private void Emit(ReadOnlySpan<byte> data, IBufferWriter<byte> payload)
    {
        if (data.IsEmpty)
        {
            return;
        }

        payload.Write(data);
        PayloadBytes += data.Length;
    }

    // With a size, the payload is that many bytes and the trailer follows. Without one, the last TrailerLength bytes seen
    // are held back: when the input ends they are the trailer, not payload.
    private void FeedHeadered(ReadOnlySpan<byte> data, IBufferWriter<byte> payload)
    {
        if (data.IsEmpty)
        {
            return;
        }

        if (Header!.Chunked)
        {
            FeedChunked(data, payload);
            return;
        }

        if (Header.Size is { } size)
        {
            var take = (int)Math.Min(data.Length, size - PayloadBytes);
            Emit(data[..take], payload);
            var trailer = Math.Min(data.Length - take, _tail.Length - _tailLength);
            data.Slice(take, trailer).CopyTo(_tail.AsSpan(_tailLength));
            _tailLength += trailer;
            return;
        }

        var total = _tailLength + data.Length;
        if (total <= _tail.Length)
        {
            data.CopyTo(_tail.AsSpan(_tailLength));
            _tailLength = total;
            return;
        }

        var release = total - _tail.Length;
        var fromTail = Math.Min(release, _tailLength);
        Emit(_tail.AsSpan(0, fromTail), payload);
        Emit(data[..(release - fromTail)], payload);

        // What stays: the tail's unreleased bytes, then the data's unreleased bytes.
        var keptFromTail = _tailLength - fromTail;
        _tail.AsSpan(fromTail, keptFromTail).CopyTo(_tail);
        data[(release - fromTail)..].CopyTo(_tail.AsSpan(keptFromTail));
        _tailLength = _tail.Length;
    }

    private static bool TryParseHeader(ReadOnlySpan<byte> lines, out TransferHeader? header, out string? problem)
    {
        header = null;
        problem = null;
        string text;
        try
        {
            text = new UTF8Encoding(false, true).GetString(lines);
        }
        catch (DecoderFallbackException)
        {
            problem = "the header is not UTF-8";
            return false;
        }

        string? name = null;
        long? size = null;
        var chunked = false;
        foreach (var raw in text.Split('\n', StringSplitOptions.RemoveEmptyEntries))
        {
            var line = raw;
            var colon = line.IndexOf(": ", StringComparison.Ordinal);
            if (colon <= 0)
            {
                problem = $"the header line '{Shorten(line)}' is not 'key: value'";
                return false;
            }

            var key = line[..colon];
            var value = line[(colon + 2)..];
            switch (key)
            {
                case "name":
                    name = value;
                    break;
                case "size" when long.TryParse(value, NumberStyles.None, CultureInfo.InvariantCulture, out var n):
                    size = n;
                    break;
                case "size":
                    problem = $"size '{Shorten(value)}' is not a number of bytes";
                    return false;
                case "framing" when value == "chunked":
                    chunked = true;
                    break;
                case "framing":
                    // Unlike an unknown key, an unknown framing leaves the payload's end unreadable.
                    problem = $"framing '{Shorten(value)}' is not one this receiver reads (it reads chunked)";
                    return false;
                default:
                    // Keys this version does not know are for later versions: skipped, not refused.
                    break;
            }
        }

        if (chunked && size is not null)
        {
            problem = "the header gives both a size and framing: chunked; a chunked payload's chunks say where it ends";
            return false;
        }

        header = new TransferHeader(name, size, chunked);
        return true;
    }

    private static string Shorten(string text) => text.Length <= 60 ? text : text[..60] + "...";
}
