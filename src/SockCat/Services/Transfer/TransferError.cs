namespace SockCat.Services.Transfer;

/// <summary>The codes of an <c>error</c> verdict (docs/transfer.md): one word each, for programs to branch on.</summary>
public static class TransferError
{
    /// <summary>The name is not a plain file name (a path, <c>..</c>, a control character, over 255 bytes).</summary>
    public const string Name = "name";

    /// <summary>The upload is over the receiver's size limit.</summary>
    public const string TooLarge = "too-large";

    /// <summary>The bytes received do not hash to the trailer's SHA-256.</summary>
    public const string Checksum = "checksum";

    /// <summary>The upload ended early: fewer bytes than its header said, or no trailer.</summary>
    public const string Truncated = "truncated";

    /// <summary>The header could not be read.</summary>
    public const string Header = "header";

    /// <summary>A chunked payload's framing is broken: a chunk length line that is not 1 to 16 hex digits and LF.</summary>
    public const string Framing = "framing";

    /// <summary>The receiver's disk is full.</summary>
    public const string DiskFull = "disk-full";

    /// <summary>Nothing was received.</summary>
    public const string Empty = "empty";

    /// <summary>Anything else: the receiver could not store the upload.</summary>
    public const string Failed = "failed";
}
