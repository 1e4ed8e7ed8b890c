using System.Globalization;

namespace SockCat.Cli;

/// <summary>Sizes on the command line and in progress lines: 512, 64K, 100M, 2G (powers of 1024), and back.</summary>
internal static class ByteSize
{
    public static bool TryParse(string text, out long bytes)
    {
        bytes = 0;
        var t = text.Trim();
        long unit = 1;
        var suffix = t.Length > 0 ? char.ToUpperInvariant(t[^1]) : ' ';
        if (suffix == 'B' && t.Length > 1 && char.IsLetter(t[^2]))
        {
            // 100MB, 2GiB: the B adds nothing.
            t = t[..^1];
            suffix = char.ToUpperInvariant(t[^1]);
            if (suffix == 'I')
            {
                t = t[..^1];
                suffix = char.ToUpperInvariant(t[^1]);
            }
        }

        switch (suffix)
        {
            case 'K': unit = 1L << 10; t = t[..^1]; break;
            case 'M': unit = 1L << 20; t = t[..^1]; break;
            case 'G': unit = 1L << 30; t = t[..^1]; break;
            case 'T': unit = 1L << 40; t = t[..^1]; break;
        }

        if (!decimal.TryParse(t, NumberStyles.AllowDecimalPoint, CultureInfo.InvariantCulture, out var n) || n < 0 || n * unit > long.MaxValue)
        {
            return false;
        }

        bytes = (long)(n * unit);
        return true;
    }

    public static string Format(double bytes) => bytes switch
    {
        < 1024 => $"{bytes.ToString("0", CultureInfo.InvariantCulture)} B",
        < 1024 * 1024 => $"{(bytes / 1024).ToString("0.0", CultureInfo.InvariantCulture)} KiB",
        < 1024L * 1024 * 1024 => $"{(bytes / (1024 * 1024)).ToString("0.0", CultureInfo.InvariantCulture)} MiB",
        _ => $"{(bytes / (1024L * 1024 * 1024)).ToString("0.00", CultureInfo.InvariantCulture)} GiB",
    };
}
