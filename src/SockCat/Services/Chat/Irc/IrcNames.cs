namespace SockCat.Services.Chat.Irc;

/// <summary>
/// IRC's rules for nicknames and channel names: what is valid, and how two names compare. CASEMAPPING=rfc1459, as most
/// networks advertise it: besides A-Z, the characters <c>[]\^</c> are the upper case of <c>{}|~</c> (Scandinavian
/// ASCII, where they were letters), so <c>Nick[1]</c> and <c>nick{1}</c> are one nickname.
/// </summary>
internal static class IrcNames
{
    /// <summary>The ISUPPORT name of the case mapping <see cref="Fold(ReadOnlySpan{char})"/> applies.</summary>
    public const string CaseMapping = "rfc1459";

    /// <summary>The channel prefix this server knows (ISUPPORT CHANTYPES): only network-wide <c>#</c> channels.</summary>
    public const char ChannelPrefix = '#';

    /// <summary>
    /// Folds a name to its rfc1459 lower case, for use as a key: equal keys are the same nickname or channel.
    /// </summary>
    public static string Fold(ReadOnlySpan<char> name) => string.Create(name.Length, name, static (span, source) =>
    {
        for (var i = 0; i < source.Length; i++)
        {
            span[i] = Fold(source[i]);
        }
    });

    /// <summary>The rfc1459 lower case of one character; others unchanged.</summary>
    public static char Fold(char c) => c switch
    {
        >= 'A' and <= '^' => (char)(c + 32), // A-Z [ \ ] ^ to a-z { | } ~
        _ => c,
    };

    /// <summary>Compares two names as IRC does (rfc1459 casemapping).</summary>
    public static bool Equal(ReadOnlySpan<char> a, ReadOnlySpan<char> b)
    {
        if (a.Length != b.Length)
        {
            return false;
        }

        for (var i = 0; i < a.Length; i++)
        {
            if (Fold(a[i]) != Fold(b[i]))
            {
                return false;
            }
        }

        return true;
    }

    /// <summary>
    /// A nickname as RFC 2812 §2.3.1 allows it: a letter or one of <c>[]\`_^{|}</c>, then letters, digits, those and
    /// <c>-</c>, at most <paramref name="maxLength"/> characters. ASCII only, so a nickname can never carry a control
    /// character or an escape sequence to anyone's terminal.
    /// </summary>
    public static bool IsValidNick(ReadOnlySpan<char> nick, int maxLength)
    {
        if (nick.IsEmpty || nick.Length > maxLength || !(IsLetter(nick[0]) || IsSpecial(nick[0])))
        {
            return false;
        }

        foreach (var c in nick[1..])
        {
            if (!(IsLetter(c) || IsSpecial(c) || char.IsAsciiDigit(c) || c == '-'))
            {
                return false;
            }
        }

        return true;
    }

    /// <summary>
    /// A channel name: <c>#</c> and at least one more character, at most <paramref name="maxLength"/> in all, with none of
    /// what breaks IRC's grammar or a terminal (space, comma, colon, BEL and every other control character).
    /// </summary>
    public static bool IsValidChannel(ReadOnlySpan<char> channel, int maxLength)
    {
        if (channel.Length < 2 || channel.Length > maxLength || channel[0] != ChannelPrefix)
        {
            return false;
        }

        foreach (var c in channel[1..])
        {
            if (c is ' ' or ',' or ':' || char.IsControl(c))
            {
                return false;
            }
        }

        return true;
    }

    /// <summary>True when <paramref name="target"/> names a channel rather than a nickname (CHANTYPES).</summary>
    public static bool IsChannel(ReadOnlySpan<char> target) => !target.IsEmpty && target[0] == ChannelPrefix;

    private static bool IsLetter(char c) => char.IsAsciiLetter(c);

    private static bool IsSpecial(char c) => c is '[' or ']' or '\\' or '`' or '_' or '^' or '{' or '|' or '}';
}
