namespace SockCat.Services.Chat.Irc;

/// <summary>The user name a client gives in USER, as it appears in <c>nick!user@host</c>.</summary>
internal static class UserNames
{
    // As ircds cut it (USERLEN).
    private const int MaxLength = 10;

    /// <summary>
    /// <paramref name="userName"/> kept to letters, digits and <c>-_.</c>, at most 10 of them, so it can never break a
    /// prefix or carry a control character; <c>user</c> when nothing is left.
    /// </summary>
    public static string Clean(string userName)
    {
        Span<char> kept = stackalloc char[MaxLength];
        var length = 0;
        foreach (var c in userName)
        {
            if (length == MaxLength)
            {
                break;
            }

            if (char.IsAsciiLetterOrDigit(c) || c is '-' or '_' or '.')
            {
                kept[length++] = c;
            }
        }

        return length == 0 ? "user" : new string(kept[..length]);
    }
}
