using System.Buffers;
using System.Security.Cryptography;

namespace SockCat.Services.Transfer;

/// <summary>
/// The sending side of the transfer protocol as a readable stream: the header, then <paramref name="source"/>'s bytes,
/// hashed as they are read, then the SHA-256 trailer once the source ends. Copy it to a connection (a
/// <see cref="SockCat.Streams.StreamBridge"/>) and half-close; the receiver answers with a verdict line. With no header
/// it is the source alone, still counted and hashed: bare bytes for a printer's port.
/// </summary>
/// <param name="source">The bytes to send: a file, or standard input.</param>
/// <param name="header">The header, or null for bare bytes (no header, no trailer).</param>
/// <param name="leaveOpen">Leave <paramref name="source"/> open when this stream is disposed.</param>
public sealed class UploadStream(Stream source, TransferHeader? header, bool leaveOpen = false) : Stream
{
    private readonly IncrementalHash _hash = IncrementalHash.CreateHash(HashAlgorithmName.SHA256);
    private byte[] _pending = header is null ? [] : Encode(header);
    private int _pendingOffset;
    private long _payloadBytes;
    private byte[]? _sha256;

    /// <summary>Bytes of the source read so far (the payload, without header or trailer); readable from any thread, for progress.</summary>
    public long PayloadBytes => Interlocked.Read(ref _payloadBytes);

    /// <summary>The SHA-256 of the source's bytes, once it has ended; null before.</summary>
    public byte[]? Sha256 => _sha256;

    /// <inheritdoc/>
    public override bool CanRead => true;

    /// <inheritdoc/>
    public override bool CanSeek => false;

    /// <inheritdoc/>
    public override bool CanWrite => false;

    /// <inheritdoc/>
    public override long Length => throw new NotSupportedException();

    /// <inheritdoc/>
    public override long Position
    {
        get => throw new NotSupportedException();
        set => throw new NotSupportedException();
    }

    /// <inheritdoc/>
    public override int Read(byte[] buffer, int offset, int count) => Read(buffer.AsSpan(offset, count));

    /// <inheritdoc/>
    public override int Read(Span<byte> buffer)
    {
        var taken = TakePending(buffer);
        if (taken > 0 || buffer.IsEmpty)
        {
            return taken;
        }

        if (_sha256 is not null)
        {
            return 0;
        }

        var n = source.Read(buffer);
        return Consumed(buffer, n);
    }

    /// <inheritdoc/>
    public override async ValueTask<int> ReadAsync(Memory<byte> buffer, CancellationToken cancellationToken)
    {
        var taken = TakePending(buffer.Span);
        if (taken > 0 || buffer.IsEmpty)
        {
            return taken;
        }

        if (_sha256 is not null)
        {
            return 0;
        }

        var n = await source.ReadAsync(buffer, cancellationToken).ConfigureAwait(false);
        return Consumed(buffer.Span, n);
    }

    /// <inheritdoc/>
    public override Task<int> ReadAsync(byte[] buffer, int offset, int count, CancellationToken cancellationToken) =>
        ReadAsync(buffer.AsMemory(offset, count), cancellationToken).AsTask();

    /// <inheritdoc/>
    public override void Flush()
    {
    }

    /// <inheritdoc/>
    public override long Seek(long offset, SeekOrigin origin) => throw new NotSupportedException();

    /// <inheritdoc/>
    public override void SetLength(long value) => throw new NotSupportedException();

    /// <inheritdoc/>
    public override void Write(byte[] buffer, int offset, int count) => throw new NotSupportedException();

    /// <inheritdoc/>
    protected override void Dispose(bool disposing)
    {
        if (disposing)
        {
            _hash.Dispose();
            if (!leaveOpen)
            {
                source.Dispose();
            }
        }

        base.Dispose(disposing);
    }

    private static byte[] Encode(TransferHeader header)
    {
        var writer = new ArrayBufferWriter<byte>(256);
        TransferWire.WriteHeader(writer, header);
        return writer.WrittenSpan.ToArray();
    }

    private int TakePending(Span<byte> buffer)
    {
        var n = Math.Min(buffer.Length, _pending.Length - _pendingOffset);
        _pending.AsSpan(_pendingOffset, n).CopyTo(buffer);
        _pendingOffset += n;
        return n;
    }

    private int Consumed(Span<byte> buffer, int n)
    {
        if (n > 0)
        {
            _hash.AppendData(buffer[..n]);
            Interlocked.Add(ref _payloadBytes, n);
            return n;
        }

        _sha256 = _hash.GetHashAndReset();
        if (header is null)
        {
            return 0;
        }

        var trailer = new ArrayBufferWriter<byte>(TransferWire.TrailerLength);
        TransferWire.WriteTrailer(trailer, _sha256);
        _pending = trailer.WrittenSpan.ToArray();
        _pendingOffset = 0;
        return TakePending(buffer);
    }
}
