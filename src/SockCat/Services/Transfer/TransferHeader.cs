namespace SockCat.Services.Transfer;

/// <summary>What a sender says about an upload before its bytes.</summary>
public sealed class TransferHeader
{
    /// <summary>Creates a header.</summary>
    /// <param name="name">The name to store it under (a file name, no directory); null lets the receiver choose one.</param>
    /// <param name="size">The number of bytes that follow, when known in advance (a file); null for a stream (stdin).</param>
    public TransferHeader(string? name, long? size)
    {
        Name = name;
        Size = size;
    }

    /// <summary>The name to store the upload under; null lets the receiver choose one.</summary>
    public string? Name { get; }

    /// <summary>The number of bytes that follow, when known in advance; null for a stream.</summary>
    public long? Size { get; }
}
