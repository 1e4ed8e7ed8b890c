namespace SockCat.Services.Exec;

/// <summary>The first line a byte-stream client sends when the server asks for a token.</summary>
internal static class TokenLine
{
    public const int MaxLength = 1024;

    public enum Result
    {
        Incomplete,
        Accepted,
        Refused,
    }

    /// <summary>Checks the token line at the start of <paramref name="data"/>; <paramref name="consumed"/> is its length with the newline.</summary>
    public static Result Check(ExecService service, ReadOnlySpan<byte> data, out int consumed, out string? message)
    {
        consumed = 0;
        message = null;
        var newline = data.IndexOf((byte)'\n');
        if (newline < 0)
        {
            if (data.Length <= MaxLength)
            {
                return Result.Incomplete;
            }

            message = "sockcat: this server asks for a token; send it as the first line\n";
            return Result.Refused;
        }

        if (!service.TokenMatches(data[..newline].TrimEnd((byte)'\r')))
        {
            message = "sockcat: wrong token; send the server's token as the first line\n";
            return Result.Refused;
        }

        consumed = newline + 1;
        return Result.Accepted;
    }
}
