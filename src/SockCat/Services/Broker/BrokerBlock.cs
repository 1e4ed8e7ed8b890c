using System.Buffers;
using System.Collections.Concurrent;

namespace SockCat.Services.Broker;

/// <summary>
/// One sender's lines, copied once and shared by every member they go to: a pooled buffer with a reference count, which
/// the last member to write it (or to drop it, closing) returns to the pool.
/// </summary>
internal sealed class BrokerBlock
{
    // Enough to cover the blocks in flight at a thousand members without holding memory after a burst.
    private const int PoolLimit = 4096;
    private static readonly ConcurrentQueue<BrokerBlock> Pool = new();
    private static int _pooled;

    private byte[] _buffer = [];
    private int _length;
    private int _references;

    public ReadOnlySpan<byte> Bytes => _buffer.AsSpan(0, _length);

    /// <summary>A block holding <paramref name="lines"/> (and a newline after them when <paramref name="terminate"/>), with one reference: the sender's.</summary>
    public static BrokerBlock Rent(ReadOnlySpan<byte> lines, bool terminate)
    {
        if (Pool.TryDequeue(out var block))
        {
            Interlocked.Decrement(ref _pooled);
        }
        else
        {
            block = new BrokerBlock();
        }

        var length = lines.Length + (terminate ? 1 : 0);
        block._buffer = ArrayPool<byte>.Shared.Rent(length);
        lines.CopyTo(block._buffer);
        if (terminate)
        {
            block._buffer[lines.Length] = (byte)'\n';
        }

        block._length = length;
        block._references = 1;
        return block;
    }

    public void AddReference() => Interlocked.Increment(ref _references);

    public void Release()
    {
        if (Interlocked.Decrement(ref _references) != 0)
        {
            return;
        }

        ArrayPool<byte>.Shared.Return(_buffer);
        _buffer = [];
        _length = 0;
        if (Interlocked.Increment(ref _pooled) <= PoolLimit)
        {
            Pool.Enqueue(this);
        }
        else
        {
            Interlocked.Decrement(ref _pooled);
        }
    }
}
