using System.Buffers;
using System.Security.Cryptography;

namespace SockCat.Services.Transfer;

/// <summary>
/// The sending side of the transfer protocol as a readable stream: the header, then <paramref name="source"/>'s bytes,
/// hashed as they are read, then the SHA-256 trailer once the source ends. Copy it to a connection (a
/// <see cref="SockCat.Streams.StreamBridge"/>); the receiver answers with a verdict line. Half-close after it only when
/// the header has neither a size nor <see cref="TransferHeader.Chunked"/>: then the end of input is the end of the
/// payload. With a chunked header each read of the source goes out as one chunk, its length line in front, and a
/// zero-length chunk before the trailer. With no header it is the source alone, still counted and hashed: bare bytes for
/// a printer's port.
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
    private byte[]? _small;

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

        if (header?.Chunked != true)
        {
            return Consumed(buffer, source.Read(buffer));
        }

        if (buffer.Length <= TransferWire.ChunkLineLength)
        {
            _small ??= new byte[4096];
            return Chunk(buffer, _small, source.Read(_small));
        }

        // The chunk's bytes are read in place, after room for its length line.
        var n = source.Read(buffer[TransferWire.ChunkLineLength..]);
        return Chunk(buffer, n);
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

        if (header?.Chunked != true)
        {
            var bare = await source.ReadAsync(buffer, cancellationToken).ConfigureAwait(false);
            return Consumed(buffer.Span, bare);
        }

        if (buffer.Length <= TransferWire.ChunkLineLength)
        {
            _small ??= new byte[4096];
            var aside = await source.ReadAsync(_small, cancellationToken).ConfigureAwait(false);
            return Chunk(buffer.Span, _small, aside);
        }

        var n = await source.ReadAsync(buffer[TransferWire.ChunkLineLength..], cancellationToken).ConfigureAwait(false);
        return Chunk(buffer.Span, n);
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

    // n bytes were read into buffer after room for their length line: the chunk is the line and those bytes.
    private int Chunk(Span<byte> buffer, int n)
    {
        if (n == 0)
        {
            return Consumed(buffer, 0);
        }

        var data = buffer.Slice(TransferWire.ChunkLineLength, n);
        _hash.AppendData(data);
        Interlocked.Add(ref _payloadBytes, n);
        TransferWire.WriteChunkLine(buffer, (uint)n);
        return TransferWire.ChunkLineLength + n;
    }

    // A caller's buffer too small for a length line and a byte: the chunk was read aside and goes out through _pending.
    private int Chunk(Span<byte> buffer, byte[] read, int n)
    {
        if (n == 0)
        {
            return Consumed(buffer, 0);
        }

        _hash.AppendData(read.AsSpan(0, n));
        Interlocked.Add(ref _payloadBytes, n);
        _pending = new byte[TransferWire.ChunkLineLength + n];
        TransferWire.WriteChunkLine(_pending, (uint)n);
        read.AsSpan(0, n).CopyTo(_pending.AsSpan(TransferWire.ChunkLineLength));
        _pendingOffset = 0;
        return TakePending(buffer);
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

        var trailer = new ArrayBufferWriter<byte>(TransferWire.TrailerLength + 2);
        if (header.Chunked)
        {
            trailer.Write("0\n"u8);
        }

        TransferWire.WriteTrailer(trailer, _sha256);
        _pending = trailer.WrittenSpan.ToArray();
        _pendingOffset = 0;
        return TakePending(buffer);
    }
}
