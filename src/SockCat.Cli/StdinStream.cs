namespace SockCat.Cli;

/// <summary>
/// Stdin as the bridge reads it, surviving the connection it feeds: with `listen --keep-open` a read may be pending when
/// a client leaves, and its bytes belong to the next client, so a cancelled read is kept for the next caller, not lost.
/// With --crlf a bare \n becomes \r\n, as ncat -C sends it.
/// </summary>
internal sealed class StdinStream(Stream input, bool crlf) : Stream
{
    private const int ChunkSize = 64 * 1024;

    private readonly byte[] _buffer = new byte[ChunkSize];
    // --crlf at most doubles a chunk.
    private readonly byte[] _translated = crlf ? new byte[ChunkSize * 2] : [];
    private Task<int>? _pending;
    private ReadOnlyMemory<byte> _unread;
    private bool _previousWasCr;
    private bool _ended;

    public override bool CanRead => true;

    public override bool CanSeek => false;

    public override bool CanWrite => false;

    public override long Length => throw new NotSupportedException();

    public override long Position { get => throw new NotSupportedException(); set => throw new NotSupportedException(); }

    public override async ValueTask<int> ReadAsync(Memory<byte> buffer, CancellationToken cancellationToken = default)
    {
        if (_unread.IsEmpty && !_ended)
        {
            // A console read cannot be cancelled; WaitAsync abandons the wait, not the read, which the next call picks up.
            _pending ??= input.ReadAsync(_buffer, 0, _buffer.Length, CancellationToken.None);
            var count = await _pending.WaitAsync(cancellationToken).ConfigureAwait(false);
            _pending = null;
            _ended = count == 0;
            _unread = crlf ? Translate(_buffer.AsSpan(0, count)) : _buffer.AsMemory(0, count);
        }

        var take = Math.Min(buffer.Length, _unread.Length);
        _unread.Span[..take].CopyTo(buffer.Span);
        _unread = _unread[take..];
        return take;
    }

    public override Task<int> ReadAsync(byte[] buffer, int offset, int count, CancellationToken cancellationToken) =>
        ReadAsync(buffer.AsMemory(offset, count), cancellationToken).AsTask();

    public override int Read(byte[] buffer, int offset, int count) => ReadAsync(buffer, offset, count).GetAwaiter().GetResult();

    public override void Flush()
    {
    }

    public override long Seek(long offset, SeekOrigin origin) => throw new NotSupportedException();

    public override void SetLength(long value) => throw new NotSupportedException();

    public override void Write(byte[] buffer, int offset, int count) => throw new NotSupportedException();

    /// <summary>Turns a bare \n into \r\n; an existing \r\n (even split across chunks) is left alone.</summary>
    private ReadOnlyMemory<byte> Translate(ReadOnlySpan<byte> data)
    {
        var n = 0;
        foreach (var b in data)
        {
            if (b == (byte)'\n' && !_previousWasCr)
            {
                _translated[n++] = (byte)'\r';
            }

            _translated[n++] = b;
            _previousWasCr = b == (byte)'\r';
        }

        return _translated.AsMemory(0, n);
    }
}
