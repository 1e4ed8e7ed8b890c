namespace SockCat.Services.Chat;

/// <summary>
/// Nicknames and room names as IRC compares them (ISUPPORT <c>CASEMAPPING=rfc1459</c>): ASCII letters without case, and
/// <c>[]\~</c> the same as <c>{}|^</c> (Scandinavian upper and lower case, RFC 1459 section 2.2). Every protocol on a hub
/// shares these rules, so a nick taken over IRC is taken for the line protocol too.
/// </summary>
internal static class ChatNames
{
    /// <summary>Compares and hashes names under rfc1459 casemapping, without allocating a folded copy.</summary>
    public static readonly StringComparer Comparer = new FoldingComparer();

    /// <summary>The character rooms start with (ISUPPORT <c>CHANTYPES=#</c>).</summary>
    public const char RoomPrefix = '#';

    /// <summary>One character folded: A-Z to a-z, [ to {, ] to }, \ to |, ~ to ^.</summary>
    public static char Fold(char c) => c switch
    {
        >= 'A' and <= 'Z' => (char)(c + 32),
        '[' => '{',
        ']' => '}',
        '\\' => '|',
        '~' => '^',
        _ => c,
    };

    /// <summary>The name folded: equal for every spelling <see cref="Comparer"/> calls equal.</summary>
    public static string Fold(string name) => string.Create(name.Length, name, static (span, n) =>
    {
        for (var i = 0; i < n.Length; i++)
        {
            span[i] = Fold(n[i]);
        }
    });

    /// <summary>
    /// True when <paramref name="nick"/> may be a nickname: 1 to <paramref name="maxLength"/> characters, ASCII letters,
    /// digits and <c>[]\`_^{|}-</c>, not starting with a digit or '-' (RFC 2812 section 2.3.1), so it is never taken
    /// for a room, a prefix or a command argument by any protocol.
    /// </summary>
    public static bool IsValidNick(ReadOnlySpan<char> nick, int maxLength)
    {
        if (nick.IsEmpty || nick.Length > maxLength || char.IsAsciiDigit(nick[0]) || nick[0] == '-')
        {
            return false;
        }

        foreach (var c in nick)
        {
            if (!char.IsAsciiLetterOrDigit(c) && c is not ('[' or ']' or '\\' or '`' or '_' or '^' or '{' or '|' or '}' or '-'))
            {
                return false;
            }
        }

        return true;
    }

    /// <summary>
    /// True when <paramref name="room"/> may be a room name: <see cref="RoomPrefix"/> and 1 to <paramref name="maxLength"/>
    /// - 1 more characters, none of them a space, a comma, a colon or a control character (RFC 2812 section 1.3 forbids
    /// space, comma and BEL; the colon and the other controls would confuse IRC's own parsing or a terminal), nor an
    /// invisible format character (a right-to-left override, a zero-width space) that would make two rooms look alike.
    /// </summary>
    public static bool IsValidRoom(ReadOnlySpan<char> room, int maxLength)
    {
        if (room.Length < 2 || room.Length > maxLength || room[0] != RoomPrefix)
        {
            return false;
        }

        foreach (var c in room[1..])
        {
            if (c is ' ' or ',' or ':' || char.IsControl(c) || char.GetUnicodeCategory(c) == System.Globalization.UnicodeCategory.Format)
            {
                return false;
            }
        }

        return true;
    }

    private sealed class FoldingComparer : StringComparer
    {
        public override int Compare(string? x, string? y)
        {
            if (ReferenceEquals(x, y))
            {
                return 0;
            }

            if (x is null)
            {
                return -1;
            }

            if (y is null)
            {
                return 1;
            }

            var n = Math.Min(x.Length, y.Length);
            for (var i = 0; i < n; i++)
            {
                var d = Fold(x[i]) - Fold(y[i]);
                if (d != 0)
                {
                    return d;
                }
            }

            return x.Length - y.Length;
        }

        public override bool Equals(string? x, string? y) => Compare(x, y) == 0;

        public override int GetHashCode(string obj)
        {
            var hash = new HashCode();
            foreach (var c in obj)
            {
                hash.Add(Fold(c));
            }

            return hash.ToHashCode();
        }
    }
}
