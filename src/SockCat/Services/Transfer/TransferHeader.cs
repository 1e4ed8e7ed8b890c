namespace SockCat.Services.Transfer;

/// <summary>What a sender says about an upload before its bytes.</summary>
public sealed class TransferHeader
{
    /// <summary>Creates a header.</summary>
    /// <param name="name">The name to store it under (a file name, no directory); null lets the receiver choose one.</param>
    /// <param name="size">The number of bytes that follow, when known in advance (a file); null for a stream (stdin).</param>
    public TransferHeader(string? name, long? size)
        : this(name, size, chunked: false)
    {
    }

    /// <summary>Creates a header.</summary>
    /// <param name="name">The name to store it under (a file name, no directory); null lets the receiver choose one.</param>
    /// <param name="size">The number of bytes that follow, when known in advance (a file); null for a stream (stdin).</param>
    /// <param name="chunked">
    /// The payload comes in chunks, each with its length, and a zero-length chunk ends it (<c>framing: chunked</c>), so
    /// that the receiver knows the end of a stream without a half-close. Only for a stream without a size, and only to a
    /// receiver that offers it (<see cref="TransferWire.ReadFeatures"/>).
    /// </param>
    /// <exception cref="ArgumentException">Both a size and chunked: a chunked payload's length is in its chunks.</exception>
    public TransferHeader(string? name, long? size, bool chunked)
    {
        if (chunked && size is not null)
        {
            throw new ArgumentException("a chunked payload has no size in its header: its chunks say where it ends", nameof(chunked));
        }

        Name = name;
        Size = size;
        Chunked = chunked;
    }

    /// <summary>The name to store the upload under; null lets the receiver choose one.</summary>
    public string? Name { get; }

    /// <summary>The number of bytes that follow, when known in advance; null for a stream.</summary>
    public long? Size { get; }

    /// <summary>The payload is framed in chunks (<c>framing: chunked</c>), each a hex length line and that many bytes, until one of length zero.</summary>
    public bool Chunked { get; }
}
