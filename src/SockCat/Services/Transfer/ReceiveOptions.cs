namespace SockCat.Services.Transfer;

/// <summary>Where an <see cref="UploadReceiver"/> puts uploads, and what it accepts.</summary>
public sealed class ReceiveOptions
{
    /// <summary>The default <see cref="MaxQueuedBytes"/>: 4 MiB.</summary>
    public const int DefaultMaxQueuedBytes = 4 * 1024 * 1024;

    /// <summary>
    /// The directory uploads are stored in, each under its name (or a numbered name when that exists). Required unless
    /// <see cref="Output"/> is set. Defaults to null.
    /// </summary>
    public string? Directory { get; set; }

    /// <summary>
    /// Pass each upload's bytes on to this stream (standard output) instead of storing them: for one stream at a time,
    /// a video piped onward. A verdict still follows, but the bytes have gone before it. Defaults to null.
    /// </summary>
    public Stream? Output { get; set; }

    /// <summary>Replace a file of the same name (atomically: readers see the old file or the new, never half). Defaults to false: a numbered name.</summary>
    public bool Overwrite { get; set; }

    /// <summary>Refuse an upload larger than this many bytes (when its header says so, at once; otherwise once it passes it). Defaults to null: no limit.</summary>
    public long? MaxSize { get; set; }

    /// <summary>
    /// Bytes received but not yet written to disk, per upload, before the server stops reading that upload until the
    /// disk catches up. Defaults to <see cref="DefaultMaxQueuedBytes"/>.
    /// </summary>
    public int MaxQueuedBytes { get; set; } = DefaultMaxQueuedBytes;
}
