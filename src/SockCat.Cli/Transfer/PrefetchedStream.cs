namespace SockCat.Cli.Transfer;

/// <summary>
/// A connection's stream with the bytes read while waiting for a receiver's greeting put back in front, and the read
/// that was still pending when the wait ended carried over, so nothing the peer sent is lost or read twice.
/// </summary>
internal sealed class PrefetchedStream(Stream inner, byte[] buffer, int offset, int count, Task<int>? pending) : Stream
{
    private int _offset = offset;
    private int _count = count;
    private Task<int>? _pending = pending;

    public override bool CanRead => true;

    public override bool CanSeek => false;

    public override bool CanWrite => true;

    public override long Length => throw new NotSupportedException();

    public override long Position
    {
        get => throw new NotSupportedException();
        set => throw new NotSupportedException();
    }

    public override async ValueTask<int> ReadAsync(Memory<byte> destination, CancellationToken cancellationToken = default)
    {
        if (_pending is { } pending)
        {
            // The pending read fills the buffer right after the bytes already held.
            _pending = null;
            var n = await pending.WaitAsync(cancellationToken).ConfigureAwait(false);
            if (n == 0 && _count == 0)
            {
                return 0;
            }

            _count += n;
        }

        if (_count > 0)
        {
            var n = Math.Min(_count, destination.Length);
            buffer.AsMemory(_offset, n).CopyTo(destination);
            _offset += n;
            _count -= n;
            return n;
        }

        return await inner.ReadAsync(destination, cancellationToken).ConfigureAwait(false);
    }

    public override int Read(byte[] destination, int offset, int count) => ReadAsync(destination.AsMemory(offset, count)).AsTask().GetAwaiter().GetResult();

    public override ValueTask WriteAsync(ReadOnlyMemory<byte> source, CancellationToken cancellationToken = default) => inner.WriteAsync(source, cancellationToken);

    public override void Write(byte[] source, int offset, int count) => inner.Write(source, offset, count);

    public override Task FlushAsync(CancellationToken cancellationToken) => inner.FlushAsync(cancellationToken);

    public override void Flush() => inner.Flush();

    public override long Seek(long offset, SeekOrigin origin) => throw new NotSupportedException();

    public override void SetLength(long value) => throw new NotSupportedException();
}
