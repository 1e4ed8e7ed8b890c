using System.Globalization;
using System.Text;

namespace SockCat.Cli;

/// <summary>
/// Decodes the backslash escapes of <c>--send</c>: <c>\r \n \t \0 \\ \xHH</c>, as printf and PHP's double-quoted strings
/// write them. Other characters go out as UTF-8; <c>\xHH</c> is one raw byte, so any binary can be sent.
/// </summary>
internal static class EscapeSequences
{
    public static byte[] Decode(string text)
    {
        var bytes = new List<byte>(text.Length);
        Span<byte> utf8 = stackalloc byte[4];
        for (var i = 0; i < text.Length; i++)
        {
            var c = text[i];
            if (c != '\\')
            {
                var rune = Rune.GetRuneAt(text, i);
                var n = rune.EncodeToUtf8(utf8);
                foreach (var b in utf8[..n])
                {
                    bytes.Add(b);
                }

                i += rune.Utf16SequenceLength - 1;
                continue;
            }

            if (i + 1 >= text.Length)
            {
                throw new FormatException("a lone '\\' ends the text; write '\\\\' for a backslash");
            }

            var e = text[++i];
            switch (e)
            {
                case 'r': bytes.Add((byte)'\r'); break;
                case 'n': bytes.Add((byte)'\n'); break;
                case 't': bytes.Add((byte)'\t'); break;
                case '0': bytes.Add(0); break;
                case '\\': bytes.Add((byte)'\\'); break;
                case 'x':
                    if (text.Length - i - 1 < 2
                        || !byte.TryParse(text.AsSpan(i + 1, 2), NumberStyles.AllowHexSpecifier, CultureInfo.InvariantCulture, out var value))
                    {
                        throw new FormatException($"'\\x' must be followed by two hex digits, as in \\x0d or \\xff");
                    }

                    bytes.Add(value);
                    i += 2;
                    break;
                default:
                    throw new FormatException($"unknown escape '\\{e}'; use \\r \\n \\t \\0 \\\\ or \\xHH");
            }
        }

        return [.. bytes];
    }
}
