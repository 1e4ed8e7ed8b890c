namespace SockCat.Bench;

/// <summary>
/// The line a fan-out benchmark's client sends (<see cref="BroadcastDriver"/>, <see cref="ChatDriver"/>):
/// "SSSSSS QQQQQQQQQQQQ TTTTTTTTTTTTTTTTTTTT xxx…\n", its sender, number and send time in decimal, padded to the line size.
/// </summary>
internal static class FanOutLine
{
    // sender (6) seq (12) timestamp (20), separated by spaces, then padding up to the newline.
    internal const int MinimumSize = 42;

    internal static void Format(Span<byte> line, int sender, long seq, long timestamp)
    {
        line.Fill((byte)'x');
        Digits(line[..6], sender);
        line[6] = (byte)' ';
        Digits(line.Slice(7, 12), seq);
        line[19] = (byte)' ';
        Digits(line.Slice(20, 20), timestamp);
        line[40] = (byte)' ';
        line[^1] = (byte)'\n';
    }

    internal static bool TryParse(ReadOnlySpan<byte> line, out int sender, out long seq, out long timestamp)
    {
        sender = 0;
        seq = timestamp = 0;
        if (line.Length < MinimumSize || line[^1] != (byte)'\n' || line[6] != (byte)' ' || line[19] != (byte)' ' || line[40] != (byte)' '
            || !TryDigits(line[..6], out var s) || !TryDigits(line.Slice(7, 12), out seq) || !TryDigits(line.Slice(20, 20), out timestamp))
        {
            return false;
        }

        for (var i = 41; i < line.Length - 1; i++)
        {
            if (line[i] != (byte)'x')
            {
                return false;
            }
        }

        sender = (int)s;
        return true;
    }

    private static void Digits(Span<byte> into, long value)
    {
        for (var i = into.Length - 1; i >= 0; i--)
        {
            into[i] = (byte)('0' + value % 10);
            value /= 10;
        }
    }

    private static bool TryDigits(ReadOnlySpan<byte> from, out long value)
    {
        value = 0;
        foreach (var b in from)
        {
            if ((uint)(b - '0') > 9)
            {
                return false;
            }

            value = value * 10 + (b - '0');
        }

        return true;
    }
}
