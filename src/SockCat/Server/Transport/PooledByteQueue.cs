using System.Buffers;

namespace SockCat.Server.Transport;

/// <summary>
/// Bytes a connection holds between calls: output the peer has not taken, or input the protocol has not consumed.
/// It rents from <see cref="ArrayPool{T}.Shared"/> only while it holds bytes and returns the array the moment it is
/// empty, which is what keeps an idle connection free of buffers. A mutable struct: keep it in a field, never copy it.
/// </summary>
internal struct PooledByteQueue
{
    // Small enough that a trickle of leftovers stays cheap, large enough that a typical partial frame needs one rent.
    internal const int MinimumRent = 4096;

    private byte[]? _buffer;
    private int _start;
    private int _end;

    public readonly int Length => _end - _start;

    public readonly bool IsEmpty => _end == _start;

    /// <summary>The rented array's size, 0 when none is held.</summary>
    public readonly int Capacity => _buffer?.Length ?? 0;

    public readonly ReadOnlySpan<byte> Readable => _buffer is null ? default : _buffer.AsSpan(_start, _end - _start);

    /// <summary>A span of at least <paramref name="sizeHint"/> bytes (at least 1) after the held bytes; commit with <see cref="Advance"/>.</summary>
    public Span<byte> GetWriteSpan(int sizeHint) => GetWriteMemory(sizeHint).Span;

    public Memory<byte> GetWriteMemory(int sizeHint)
    {
        EnsureWritable(Math.Max(sizeHint, 1));
        return _buffer.AsMemory(_end);
    }

    public void Advance(int count)
    {
        if ((uint)count > (uint)(Capacity - _end))
        {
            throw new ArgumentOutOfRangeException(nameof(count));
        }

        _end += count;
        if (_start == _end)
        {
            Release();
        }
    }

    public void Append(ReadOnlySpan<byte> data)
    {
        if (data.IsEmpty)
        {
            return;
        }

        data.CopyTo(GetWriteSpan(data.Length));
        _end += data.Length;
    }

    /// <summary>Drops <paramref name="count"/> bytes from the front, returning the array when nothing is left.</summary>
    public void Consume(int count)
    {
        if ((uint)count > (uint)Length)
        {
            throw new ArgumentOutOfRangeException(nameof(count));
        }

        _start += count;
        if (_start == _end)
        {
            Release();
        }
    }

    public void Release()
    {
        if (_buffer is not null)
        {
            ArrayPool<byte>.Shared.Return(_buffer);
            _buffer = null;
        }

        _start = 0;
        _end = 0;
    }

    private void EnsureWritable(int size)
    {
        if (_buffer is null)
        {
            _buffer = ArrayPool<byte>.Shared.Rent(Math.Max(size, MinimumRent));
            _start = 0;
            _end = 0;
            return;
        }

        if (_buffer.Length - _end >= size)
        {
            return;
        }

        var length = Length;
        if (_buffer.Length - length >= size)
        {
            // Sliding the held bytes to the front is enough: no new array.
            _buffer.AsSpan(_start, length).CopyTo(_buffer);
            _start = 0;
            _end = length;
            return;
        }

        var bigger = ArrayPool<byte>.Shared.Rent(Math.Max(length + size, _buffer.Length * 2));
        _buffer.AsSpan(_start, length).CopyTo(bigger);
        ArrayPool<byte>.Shared.Return(_buffer);
        _buffer = bigger;
        _start = 0;
        _end = length;
    }
}
