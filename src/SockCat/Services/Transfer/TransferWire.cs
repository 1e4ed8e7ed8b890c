using System.Buffers;
using System.Globalization;
using System.Text;

namespace SockCat.Services.Transfer;

/// <summary>
/// The words of the transfer protocol spoken by <c>sockcat send</c> and <c>sockcat recv</c>, version 1 (docs/transfer.md):
/// the receiver greets (and lists what it can read), the sender sends a header, the bytes (as they are, or in chunks) and a
/// SHA-256 trailer; the receiver answers with one verdict line. Every frame is a line of text ending in LF, so that <c>printf</c>, <c>sha256sum</c> and <c>nc</c>
/// can speak it. Pure functions over spans: no socket, no state.
/// </summary>
public static class TransferWire
{
    /// <summary>The protocol version this library speaks.</summary>
    public const int Version = 1;

    /// <summary>The longest header accepted, magic line and blank line included, in bytes.</summary>
    public const int MaxHeaderBytes = 4096;

    /// <summary>The length of the trailer line <c>sha256: HEX\n</c>, which always ends an upload with a header.</summary>
    public const int TrailerLength = 8 + 64 + 1;

    /// <summary>The longest verdict line accepted by <see cref="TryParseVerdict"/>, in bytes.</summary>
    public const int MaxVerdictBytes = 1024;

    /// <summary>The longest features line accepted by <see cref="ReadFeatures"/>, in bytes.</summary>
    public const int MaxFeaturesBytes = 256;

    /// <summary>The longest chunk length line: 16 hex digits (a 63-bit length) and LF.</summary>
    public const int MaxChunkLineLength = 16 + 1;

    /// <summary>The length line <see cref="UploadStream"/> writes before each chunk: 8 hex digits (a chunk is under 4 GiB) and LF.</summary>
    internal const int ChunkLineLength = 8 + 1;

    /// <summary>
    /// The receiver's greeting, sent as soon as a client connects: <c>sockcat-recv 1\n</c>. A receiver that can read
    /// chunks sends <see cref="Features"/> right after it, in the same write.
    /// </summary>
    public static ReadOnlySpan<byte> Greeting => "sockcat-recv 1\n"u8;

    /// <summary>
    /// The line a receiver sends right after <see cref="Greeting"/> to list what it can read beyond version 1's first form:
    /// <c>features: chunked\n</c>. Receivers before it send the greeting alone; senders before it skip the line, as they
    /// skip any line that is not a verdict.
    /// </summary>
    public static ReadOnlySpan<byte> Features => "features: chunked\n"u8;

    private static ReadOnlySpan<byte> FeaturesPrefix => "features:"u8;

    /// <summary>The first line of a header, which tells a receiver the upload is not bare bytes: <c>sockcat-send 1\n</c>.</summary>
    public static ReadOnlySpan<byte> HeaderMagic => "sockcat-send 1\n"u8;

    private static ReadOnlySpan<byte> TrailerPrefix => "sha256: "u8;

    /// <summary>
    /// Whether <paramref name="received"/> (the first bytes a server sent) is, or may still become, a receiver's greeting:
    /// true when it starts with the greeting, null while it is a shorter prefix of it, false otherwise.
    /// </summary>
    public static bool? MatchesGreeting(ReadOnlySpan<byte> received)
    {
        var n = Math.Min(received.Length, Greeting.Length);
        if (!received[..n].SequenceEqual(Greeting[..n]))
        {
            return false;
        }

        return n == Greeting.Length ? true : null;
    }

    /// <summary>
    /// Reads what a receiver sent after its <see cref="Greeting"/>: its features line, if it has one, and whether that
    /// lists <c>chunked</c>. Returns the features line's length in bytes (LF included); 0 when the bytes are not a
    /// features line (a receiver that lists none, whose next line is its verdict); null while they may still become one.
    /// </summary>
    public static int? ReadFeatures(ReadOnlySpan<byte> received, out bool chunked)
    {
        chunked = false;
        var n = Math.Min(received.Length, FeaturesPrefix.Length);
        if (!received[..n].SequenceEqual(FeaturesPrefix[..n]))
        {
            return 0;
        }

        var end = received[..Math.Min(received.Length, MaxFeaturesBytes)].IndexOf((byte)'\n');
        if (end < 0)
        {
            return received.Length < MaxFeaturesBytes ? null : 0;
        }

        // Words after the colon, separated by spaces; words this version does not know are for later ones.
        foreach (var word in Encoding.ASCII.GetString(received[FeaturesPrefix.Length..end]).Split(' ', StringSplitOptions.RemoveEmptyEntries))
        {
            chunked |= word == "chunked";
        }

        return end + 1;
    }

    /// <summary>Writes the header: the magic line, <c>name: NAME</c>, <c>size: BYTES</c> when known, <c>framing: chunked</c> when chunked, and a blank line.</summary>
    /// <exception cref="ArgumentException">The name holds a line break, or the header would pass <see cref="MaxHeaderBytes"/>.</exception>
    public static void WriteHeader(IBufferWriter<byte> output, TransferHeader header)
    {
        ArgumentNullException.ThrowIfNull(output);
        ArgumentNullException.ThrowIfNull(header);
        var text = new StringBuilder();
        if (header.Name is { } name)
        {
            if (name.Contains('\n') || name.Contains('\r'))
            {
                throw new ArgumentException("a name holds no line break", nameof(header));
            }

            text.Append("name: ").Append(name).Append('\n');
        }

        if (header.Size is { } size)
        {
            text.Append("size: ").Append(size.ToString(CultureInfo.InvariantCulture)).Append('\n');
        }

        if (header.Chunked)
        {
            text.Append("framing: chunked\n");
        }

        text.Append('\n');
        var bytes = Encoding.UTF8.GetBytes(text.ToString());
        if (bytes.Length + HeaderMagic.Length > MaxHeaderBytes)
        {
            throw new ArgumentException($"the header would be over {MaxHeaderBytes} bytes", nameof(header));
        }

        output.Write(HeaderMagic);
        output.Write(bytes);
    }

    /// <summary>Writes the trailer <c>sha256: HEX\n</c> (lower-case hex) for the SHA-256 of the bytes sent.</summary>
    public static void WriteTrailer(IBufferWriter<byte> output, ReadOnlySpan<byte> sha256)
    {
        ArgumentNullException.ThrowIfNull(output);
        if (sha256.Length != 32)
        {
            throw new ArgumentException("a SHA-256 is 32 bytes", nameof(sha256));
        }

        output.Write(TrailerPrefix);
        output.Write(Encoding.ASCII.GetBytes(Convert.ToHexStringLower(sha256)));
        output.Write("\n"u8);
    }

    /// <summary>Reads a trailer line of exactly <see cref="TrailerLength"/> bytes into its 32-byte digest; false when it is not one.</summary>
    public static bool TryParseTrailer(ReadOnlySpan<byte> trailer, Span<byte> sha256)
    {
        if (trailer.Length != TrailerLength || !trailer.StartsWith(TrailerPrefix) || trailer[^1] != (byte)'\n' || sha256.Length < 32)
        {
            return false;
        }

        Span<char> hex = stackalloc char[64];
        for (var i = 0; i < 64; i++)
        {
            hex[i] = (char)trailer[TrailerPrefix.Length + i];
        }

        return Convert.FromHexString(hex, sha256, out _, out var written) == System.Buffers.OperationStatus.Done && written == 32;
    }

    /// <summary>Writes the length line of a chunk of <paramref name="length"/> bytes in <see cref="ChunkLineLength"/> bytes: 8 lower-case hex digits and LF.</summary>
    internal static void WriteChunkLine(Span<byte> destination, uint length)
    {
        length.TryFormat(destination, out _, "x8", CultureInfo.InvariantCulture);
        destination[8] = (byte)'\n';
    }

    /// <summary>
    /// Reads a chunk length line (without its LF): 1 to 16 hex digits, either case, for a length up to
    /// <see cref="long.MaxValue"/>; false when it is not one.
    /// </summary>
    internal static bool TryParseChunkLength(ReadOnlySpan<byte> digits, out long length)
    {
        length = 0;
        if (digits.IsEmpty || digits.Length > MaxChunkLineLength - 1)
        {
            return false;
        }

        ulong value = 0;
        foreach (var b in digits)
        {
            var digit = b switch
            {
                >= (byte)'0' and <= (byte)'9' => b - '0',
                >= (byte)'a' and <= (byte)'f' => b - 'a' + 10,
                >= (byte)'A' and <= (byte)'F' => b - 'A' + 10,
                _ => -1,
            };
            if (digit < 0)
            {
                return false;
            }

            value = (value << 4) | (uint)digit;
        }

        if (value > long.MaxValue)
        {
            return false;
        }

        length = (long)value;
        return true;
    }

    /// <summary>Writes a verdict line: <c>ok SIZE SHA256 NAME\n</c> or <c>error CODE MESSAGE\n</c>.</summary>
    public static void WriteVerdict(IBufferWriter<byte> output, TransferVerdict verdict)
    {
        ArgumentNullException.ThrowIfNull(output);
        ArgumentNullException.ThrowIfNull(verdict);
        var line = verdict.Succeeded
            ? $"ok {verdict.Size.ToString(CultureInfo.InvariantCulture)} {verdict.Sha256} {OneLine(verdict.Name ?? "-")}\n"
            : $"error {verdict.Error ?? TransferError.Failed} {OneLine(verdict.Message ?? "")}\n";
        var bytes = Encoding.UTF8.GetBytes(line);
        output.Write(bytes.AsSpan(0, Math.Min(bytes.Length, MaxVerdictBytes - 1)));
        if (bytes.Length > MaxVerdictBytes - 1)
        {
            output.Write("\n"u8);
        }
    }

    /// <summary>Reads one verdict line (without its LF; a CR before it is allowed); false when the line is not a verdict.</summary>
    public static bool TryParseVerdict(ReadOnlySpan<byte> line, out TransferVerdict? verdict)
    {
        verdict = null;
        if (line.Length > 0 && line[^1] == (byte)'\r')
        {
            line = line[..^1];
        }

        string text;
        try
        {
            text = new UTF8Encoding(false, true).GetString(line);
        }
        catch (DecoderFallbackException)
        {
            return false;
        }

        var parts = text.Split(' ', 4);
        if (parts.Length == 4 && parts[0] == "ok" && long.TryParse(parts[1], NumberStyles.None, CultureInfo.InvariantCulture, out var size) && IsHex64(parts[2]))
        {
            verdict = TransferVerdict.Saved(parts[3], size, parts[2]);
            return true;
        }

        if (parts.Length >= 2 && parts[0] == "error")
        {
            verdict = TransferVerdict.Refused(parts[1], parts.Length > 2 ? string.Join(' ', parts[2..]) : "");
            return true;
        }

        return false;
    }

    private static bool IsHex64(string text) => text.Length == 64 && text.All(c => c is >= '0' and <= '9' or >= 'a' and <= 'f');

    private static string OneLine(string text) => text.Replace('\n', ' ').Replace('\r', ' ');
}
