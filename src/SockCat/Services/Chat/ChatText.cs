using System.Text;

namespace SockCat.Services.Chat;

/// <summary>
/// Text made safe to show on another user's terminal. The hub cleans every text it is given (messages, topics, reasons)
/// with <see cref="Clean"/>, whatever protocol it came from, so no protocol can pass raw control bytes to another:
/// ESC (and with it ANSI sequences such as <c>ESC[2J</c> or OSC 52's clipboard writes), the other C0 controls, DEL and
/// the C1 controls become visible <c>^[</c>-style text, the bidirectional overrides and isolates <c>&lt;U+202E&gt;</c>; invalid UTF-8 was already replaced (U+FFFD) by decoding with
/// <see cref="Decode"/>. IRC's formatting codes (bold, colour, italic, underline, reverse, reset) are kept for IRC users;
/// a protocol that writes to a terminal removes them with <see cref="RemoveIrcFormatting"/>.
/// </summary>
internal static class ChatText
{
    private static readonly UTF8Encoding Utf8 = new(encoderShouldEmitUTF8Identifier: false, throwOnInvalidBytes: false);

    /// <summary>UTF-8 bytes as text, each invalid sequence replaced by U+FFFD.</summary>
    public static string Decode(ReadOnlySpan<byte> utf8) => Utf8.GetString(utf8);

    /// <summary>
    /// <paramref name="text"/> with every control character but IRC's formatting codes shown as caret text (ESC as
    /// <c>^[</c>, DEL as <c>^?</c>), C1 controls as <c>^[</c> and their 7-bit letter (CSI U+009B as <c>^[[</c>), tabs as
    /// spaces. Returns the same string when there is nothing to change (no allocation on the common path).
    /// </summary>
    public static string Clean(string text)
    {
        var i = 0;
        while (i < text.Length && !NeedsCleaning(text[i]))
        {
            i++;
        }

        if (i == text.Length)
        {
            return text;
        }

        var builder = new StringBuilder(text.Length + 8);
        builder.Append(text, 0, i);
        for (; i < text.Length; i++)
        {
            var c = text[i];
            if (!NeedsCleaning(c))
            {
                builder.Append(c);
            }
            else if (IsBidiControl(c))
            {
                builder.Append("<U+").Append(((int)c).ToString("X4", System.Globalization.CultureInfo.InvariantCulture)).Append('>');
            }
            else if (c == '\t')
            {
                builder.Append(' ');
            }
            else if (c == '\x7F')
            {
                builder.Append("^?");
            }
            else if (c < ' ')
            {
                builder.Append('^').Append((char)(c + 64));
            }
            else
            {
                // C1: the 8-bit form of ESC followed by a 7-bit letter.
                builder.Append("^[").Append((char)(c - 64));
            }
        }

        return builder.ToString();
    }

    /// <summary>True for IRC's formatting codes: bold, colour, hex colour, reset, monospace, reverse, italic, strike, underline.</summary>
    public static bool IsIrcFormatting(char c) => c is '\x02' or '\x03' or '\x04' or '\x0F' or '\x11' or '\x16' or '\x1D' or '\x1E' or '\x1F';

    /// <summary>
    /// <paramref name="text"/> (already <see cref="Clean"/>) without IRC's formatting codes and the colour numbers after
    /// <c>^C</c> (<c>\x03</c>NN[,NN]) and hex colours after <c>\x04</c>: what a terminal user should see of an IRC user's
    /// coloured text. Returns the same string when there is none.
    /// </summary>
    public static string RemoveIrcFormatting(string text)
    {
        if (text.AsSpan().IndexOfAny("\x02\x03\x04\x0F\x11\x16\x1D\x1E\x1F") < 0)
        {
            return text;
        }

        var builder = new StringBuilder(text.Length);
        for (var i = 0; i < text.Length; i++)
        {
            var c = text[i];
            if (c == '\x03')
            {
                i = SkipColour(text, i + 1, 2, char.IsAsciiDigit) - 1;
            }
            else if (c == '\x04')
            {
                i = SkipColour(text, i + 1, 6, char.IsAsciiHexDigit) - 1;
            }
            else if (!IsIrcFormatting(c))
            {
                builder.Append(c);
            }
        }

        return builder.ToString();
    }

    private static bool NeedsCleaning(char c) => c < ' ' ? !IsIrcFormatting(c) : c is >= '\x7F' and <= '\x9F' || IsBidiControl(c);

    // The embeddings, overrides and isolates that reorder what a terminal shows after them (Trojan Source's trick).
    private static bool IsBidiControl(char c) => c is >= '\u202A' and <= '\u202E' or >= '\u2066' and <= '\u2069';

    // Skips "FG[,BG]" after a colour code: up to `digits` of each; returns the index after them.
    private static int SkipColour(string text, int at, int digits, Func<char, bool> isDigit)
    {
        var i = SkipDigits(text, at, digits, isDigit);
        if (i > at && i + 1 < text.Length && text[i] == ',' && isDigit(text[i + 1]))
        {
            i = SkipDigits(text, i + 1, digits, isDigit);
        }

        return i;
    }

    private static int SkipDigits(string text, int at, int digits, Func<char, bool> isDigit)
    {
        var i = at;
        while (i < text.Length && i - at < digits && isDigit(text[i]))
        {
            i++;
        }

        return i;
    }
}
