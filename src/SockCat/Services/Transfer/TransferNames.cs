using System.Globalization;
using System.Net;
using System.Text;

namespace SockCat.Services.Transfer;

/// <summary>
/// Which names a receiver stores an upload under. A name is one plain file name inside the receiving directory: never a
/// path, never hidden, never a control character, at most 255 bytes of UTF-8 (the limit of Linux file systems).
/// </summary>
public static class TransferNames
{
    /// <summary>The longest name, in bytes of UTF-8.</summary>
    public const int MaxNameBytes = 255;

    /// <summary>Why <paramref name="name"/> cannot be stored as given, or null when it can.</summary>
    public static string? Problem(string name)
    {
        ArgumentNullException.ThrowIfNull(name);
        if (name.Length == 0)
        {
            return "the name is empty";
        }

        if (name is "." or "..")
        {
            return $"'{name}' names a directory, not a file";
        }

        if (name.Contains('/') || name.Contains('\\'))
        {
            return $"'{Printable(name)}' is a path, not a plain file name";
        }

        if (name.Any(c => char.IsControl(c) || c is '\u2028' or '\u2029'))
        {
            return $"'{Printable(name)}' holds control characters";
        }

        if (name[0] == '.')
        {
            return $"'{Printable(name)}' is a hidden name (it starts with a dot)";
        }

        var bytes = Encoding.UTF8.GetByteCount(name);
        if (bytes > MaxNameBytes)
        {
            return $"the name is {bytes.ToString(CultureInfo.InvariantCulture)} bytes long, over {MaxNameBytes.ToString(CultureInfo.InvariantCulture)}";
        }

        return null;
    }

    /// <summary>
    /// The <paramref name="number"/>th alternative to an existing <paramref name="name"/>: <c>report-1.pdf</c>,
    /// <c>report-2.pdf</c> (the number before the extension), shortened so it stays within <see cref="MaxNameBytes"/>.
    /// </summary>
    public static string Numbered(string name, int number)
    {
        ArgumentNullException.ThrowIfNull(name);
        var dot = name.LastIndexOf('.');
        var (stem, extension) = dot > 0 ? (name[..dot], name[dot..]) : (name, "");
        var suffix = "-" + number.ToString(CultureInfo.InvariantCulture);
        while (stem.Length > 1 && Encoding.UTF8.GetByteCount(stem + suffix + extension) > MaxNameBytes)
        {
            stem = stem[..^1];
            if (char.IsHighSurrogate(stem[^1]))
            {
                stem = stem[..^1];
            }
        }

        return stem + suffix + extension;
    }

    /// <summary>
    /// The name for an upload that came with none (bare bytes, as a printer gets them):
    /// <c>job-20260105-142233-123-127.0.0.1_40112.bin</c>, from the time it arrived and the peer's address.
    /// </summary>
    public static string ForJob(DateTimeOffset arrived, EndPoint? peer)
    {
        var from = peer switch
        {
            IPEndPoint ip => ip.Address.ToString().Replace(':', '-') + "_" + ip.Port.ToString(CultureInfo.InvariantCulture),
            null => "unknown",
            _ => "local",
        };
        return $"job-{arrived.UtcDateTime.ToString("yyyyMMdd-HHmmss-fff", CultureInfo.InvariantCulture)}-{from}.bin";
    }

    private static string Printable(string name)
    {
        var text = new StringBuilder();
        foreach (var c in name.Length > 80 ? name[..80] + "..." : name)
        {
            text.Append(char.IsControl(c) ? $"\\x{(int)c:x2}" : c.ToString());
        }

        return text.ToString();
    }
}
