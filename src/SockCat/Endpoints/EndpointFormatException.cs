namespace SockCat.Endpoints;

/// <summary>
/// Thrown when text is not a valid endpoint URL. The message names what is wrong and shows a correct
/// example, so it can be shown to a user as it is.
/// </summary>
public sealed class EndpointFormatException : FormatException
{
    /// <summary>Creates the exception for <paramref name="input"/> with a user-facing <paramref name="message"/>.</summary>
    public EndpointFormatException(string input, string message)
        : base(message)
    {
        Input = input;
    }

    /// <summary>The text that failed to parse.</summary>
    public string Input { get; }
}
