using System.Text;

namespace SockCat.Services.Chat.Irc;

/// <summary>
/// One IRC message from a client, parsed from a line without its terminator (RFC 1459 §2.3.1 as modern.ircdocs.horse
/// reads it): IRCv3 tags are tolerated and dropped (none are advertised), a prefix is kept but never trusted, the command
/// is upper-cased, and the trailing parameter (after " :") is the last of <see cref="Params"/>, spaces and all.
/// </summary>
internal sealed class IrcMessage
{
    // RFC 2812: at most 15 parameters; what follows the 14th middle one is all the last one.
    private const int MaxParams = 15;

    private static readonly Encoding Utf8 = new UTF8Encoding(encoderShouldEmitUTF8Identifier: false, throwOnInvalidBytes: false);

    private IrcMessage(string? prefix, string command, string[] parameters)
    {
        Prefix = prefix;
        Command = command;
        Params = parameters;
    }

    /// <summary>The source the client claimed (servers ignore it), or null.</summary>
    public string? Prefix { get; }

    /// <summary>The command, upper-cased (<c>PRIVMSG</c>), or a three-digit numeric.</summary>
    public string Command { get; }

    /// <summary>The parameters, the trailing one last.</summary>
    public IReadOnlyList<string> Params { get; }

    /// <summary>The parameter at <paramref name="index"/>, or null when the client sent fewer.</summary>
    public string? Param(int index) => index < Params.Count ? Params[index] : null;

    /// <summary>
    /// Parses one line. Invalid UTF-8 becomes U+FFFD (a client in latin-1 still gets through, marked). Returns null for a
    /// line with no command (empty, spaces, or only tags and a prefix): servers ignore those silently.
    /// </summary>
    public static IrcMessage? Parse(ReadOnlySpan<byte> line) => Parse(Utf8.GetString(line));

    /// <inheritdoc cref="Parse(ReadOnlySpan{byte})"/>
    public static IrcMessage? Parse(string line)
    {
        var rest = line.AsSpan();
        if (rest.StartsWith('@'))
        {
            rest = AfterWord(rest);
        }

        rest = rest.TrimStart(' ');
        string? prefix = null;
        if (rest.StartsWith(':'))
        {
            prefix = Word(rest[1..]).ToString();
            rest = AfterWord(rest);
        }

        var command = Word(rest);
        if (command.IsEmpty)
        {
            return null;
        }

        rest = AfterWord(rest);
        var parameters = new List<string>();
        while (!rest.IsEmpty)
        {
            if (rest[0] == ':' || parameters.Count == MaxParams - 1)
            {
                parameters.Add((rest[0] == ':' ? rest[1..] : rest).ToString());
                break;
            }

            parameters.Add(Word(rest).ToString());
            rest = AfterWord(rest);
        }

        return new IrcMessage(prefix, command.ToString().ToUpperInvariant(), [.. parameters]);
    }

    private static ReadOnlySpan<char> Word(ReadOnlySpan<char> text)
    {
        var space = text.IndexOf(' ');
        return space < 0 ? text : text[..space];
    }

    // The text after the first word and the spaces that follow it (clients are lax: several spaces are one).
    private static ReadOnlySpan<char> AfterWord(ReadOnlySpan<char> text)
    {
        var space = text.IndexOf(' ');
        return space < 0 ? [] : text[space..].TrimStart(' ');
    }
}
