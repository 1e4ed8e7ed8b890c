using SockCat.Services.Transfer;

namespace SockCat.Cli.Transfer;

/// <summary>
/// Where the receiver's answer goes while an upload is sent: it reads the verdict line. An <c>error</c> verdict throws
/// <see cref="RefusedException"/> at once, so that the bridge stops sending a file the receiver has already refused.
/// </summary>
internal sealed class VerdictStream : Stream
{
    private readonly byte[] _line = new byte[TransferWire.MaxVerdictBytes];
    private int _length;

    public TransferVerdict? Verdict { get; private set; }

    public override bool CanRead => false;

    public override bool CanSeek => false;

    public override bool CanWrite => true;

    public override long Length => throw new NotSupportedException();

    public override long Position
    {
        get => throw new NotSupportedException();
        set => throw new NotSupportedException();
    }

    public override void Write(ReadOnlySpan<byte> data)
    {
        foreach (var b in data)
        {
            if (Verdict is not null)
            {
                return;
            }

            if (b != (byte)'\n')
            {
                if (_length < _line.Length)
                {
                    _line[_length++] = b;
                }

                continue;
            }

            if (TransferWire.TryParseVerdict(_line.AsSpan(0, _length), out var verdict))
            {
                Verdict = verdict;
                if (!verdict!.Succeeded)
                {
                    throw new RefusedException(verdict);
                }
            }

            _length = 0;
        }
    }

    public override void Write(byte[] buffer, int offset, int count) => Write(buffer.AsSpan(offset, count));

    public override ValueTask WriteAsync(ReadOnlyMemory<byte> buffer, CancellationToken cancellationToken = default)
    {
        Write(buffer.Span);
        return ValueTask.CompletedTask;
    }

    public override void Flush()
    {
    }

    public override int Read(byte[] buffer, int offset, int count) => throw new NotSupportedException();

    public override long Seek(long offset, SeekOrigin origin) => throw new NotSupportedException();

    public override void SetLength(long value) => throw new NotSupportedException();

    /// <summary>The receiver answered <c>error</c>: it ends the bridge's receiving side, which ends the bridge.</summary>
    public sealed class RefusedException(TransferVerdict verdict) : IOException(verdict.Message)
    {
        public TransferVerdict Verdict { get; } = verdict;
    }
}
