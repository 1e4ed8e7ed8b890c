namespace SockCat.Server.Access;

/// <summary>
/// Thrown when an <c>--allow</c> or <c>--deny</c> entry is not an IP address or CIDR range. The message names the
/// entry, says what is wrong and shows a correct example, so it can be shown to a user as it is.
/// </summary>
public sealed class AccessListFormatException : FormatException
{
    /// <summary>Creates the exception for <paramref name="entry"/> with a user-facing <paramref name="message"/>.</summary>
    public AccessListFormatException(string entry, string message)
        : base(message)
    {
        Entry = entry;
    }

    /// <summary>The entry that failed to parse, as given.</summary>
    public string Entry { get; }
}
