namespace SockCat.Services.Transfer;

/// <summary>The receiver's answer to an upload: saved (under which name, how many bytes, which SHA-256) or refused (why).</summary>
public sealed class TransferVerdict
{
    private TransferVerdict(bool succeeded, string? name, long size, string? sha256, string? error, string? message)
    {
        Succeeded = succeeded;
        Name = name;
        Size = size;
        Sha256 = sha256;
        Error = error;
        Message = message;
    }

    /// <summary>True when the upload was received whole, verified and stored.</summary>
    public bool Succeeded { get; }

    /// <summary>The name it was stored under (may differ from the one asked for: a numbered name when it existed).</summary>
    public string? Name { get; }

    /// <summary>The bytes stored.</summary>
    public long Size { get; }

    /// <summary>The SHA-256 of the bytes stored, 64 lower-case hex digits.</summary>
    public string? Sha256 { get; }

    /// <summary>For a refusal, one of the <see cref="TransferError"/> codes.</summary>
    public string? Error { get; }

    /// <summary>For a refusal, what went wrong, in words.</summary>
    public string? Message { get; }

    /// <summary>A verdict for an upload stored as <paramref name="name"/>.</summary>
    public static TransferVerdict Saved(string name, long size, string sha256) => new(true, name, size, sha256, null, null);

    /// <summary>A verdict for an upload that was not stored.</summary>
    public static TransferVerdict Refused(string error, string message) => new(false, null, 0, null, error, message);
}
