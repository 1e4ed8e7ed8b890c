namespace SockCat.Cli;

/// <summary>
/// Reads stdin in chunks and survives the connection it feeds: with `listen --keep-open` a read may be pending when a
/// client leaves, and its bytes belong to the next client, so the pending read is kept rather than lost.
/// </summary>
internal sealed class StdinSource(Stream input, bool crlf)
{
    public const int ChunkSize = 64 * 1024;

    private readonly byte[] _buffer = new byte[ChunkSize];
    // --crlf at most doubles a chunk.
    private readonly byte[] _translated = crlf ? new byte[ChunkSize * 2] : [];
    private Task<int>? _pending;
    private bool _previousWasCr;

    public bool Ended { get; private set; }

    /// <summary>The next chunk, empty at end of input; valid until the next call.</summary>
    public async ValueTask<ReadOnlyMemory<byte>> ReadAsync(CancellationToken cancellationToken)
    {
        if (Ended)
        {
            return ReadOnlyMemory<byte>.Empty;
        }

        // A console read cannot be cancelled; WaitAsync abandons the wait, not the read, which the next call picks up.
        _pending ??= input.ReadAsync(_buffer, 0, _buffer.Length, CancellationToken.None);
        var count = await _pending.WaitAsync(cancellationToken).ConfigureAwait(false);
        _pending = null;
        if (count == 0)
        {
            Ended = true;
            return ReadOnlyMemory<byte>.Empty;
        }

        return crlf ? Translate(_buffer.AsSpan(0, count)) : _buffer.AsMemory(0, count);
    }

    /// <summary>Turns a bare \n into \r\n, as ncat -C does; an existing \r\n (even split across chunks) is left alone.</summary>
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
