using SockCat.Server;

namespace SockCat.Cli.Commands;

/// <summary>
/// A server connection as a stream, for code off its loop thread (<see cref="WebSocketRelay"/>'s bridge). Reads take what
/// <see cref="Push"/> was given on the loop thread; the connection is paused while that is unread and resumed (one
/// <see cref="IConnection.Post(Action{IConnection, object}, object)"/>) when a read finds nothing, so at most one chunk
/// waits here. Writes go through <see cref="IConnection.WriteAsync"/>, which waits while the peer is slow.
/// </summary>
internal sealed class ConnectionStream(IConnection connection) : Stream
{
    private readonly Lock _lock = new();
    private byte[] _buffer = [];
    private int _start;
    private int _count;
    private bool _ended;
    private TaskCompletionSource? _arrived;

    /// <summary>On the loop thread: bytes read from the peer; reading pauses until they are taken.</summary>
    public void Push(ReadOnlySpan<byte> data)
    {
        connection.PauseReading();
        TaskCompletionSource? arrived;
        lock (_lock)
        {
            if (_buffer.Length - _start - _count < data.Length)
            {
                var grown = new byte[Math.Max(_count + data.Length, 64 * 1024)];
                _buffer.AsSpan(_start, _count).CopyTo(grown);
                _buffer = grown;
                _start = 0;
            }

            data.CopyTo(_buffer.AsSpan(_start + _count));
            _count += data.Length;
            arrived = _arrived;
            _arrived = null;
        }

        arrived?.TrySetResult();
    }

    /// <summary>The peer's input ended (or the connection closed): reads return 0 once the rest is taken.</summary>
    public void End()
    {
        TaskCompletionSource? arrived;
        lock (_lock)
        {
            _ended = true;
            arrived = _arrived;
            _arrived = null;
        }

        arrived?.TrySetResult();
    }

    public override async ValueTask<int> ReadAsync(Memory<byte> buffer, CancellationToken cancellationToken = default)
    {
        while (true)
        {
            Task wait;
            lock (_lock)
            {
                if (_count > 0)
                {
                    var n = Math.Min(_count, buffer.Length);
                    _buffer.AsSpan(_start, n).CopyTo(buffer.Span);
                    _start += n;
                    _count -= n;
                    if (_count == 0)
                    {
                        _start = 0;
                    }

                    return n;
                }

                if (_ended)
                {
                    return 0;
                }

                _arrived ??= new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
                wait = _arrived.Task;
            }

            if (!connection.Post(static (c, _) => c.ResumeReading(), null))
            {
                return 0; // closed
            }

            await wait.WaitAsync(cancellationToken).ConfigureAwait(false);
        }
    }

    public override async ValueTask WriteAsync(ReadOnlyMemory<byte> buffer, CancellationToken cancellationToken = default)
    {
        if (!await connection.WriteAsync(buffer, cancellationToken).ConfigureAwait(false))
        {
            throw new IOException("the client closed the connection");
        }
    }

    public override Task<int> ReadAsync(byte[] buffer, int offset, int count, CancellationToken cancellationToken) =>
        ReadAsync(buffer.AsMemory(offset, count), cancellationToken).AsTask();

    public override Task WriteAsync(byte[] buffer, int offset, int count, CancellationToken cancellationToken) =>
        WriteAsync(buffer.AsMemory(offset, count), cancellationToken).AsTask();

    public override int Read(byte[] buffer, int offset, int count) => ReadAsync(buffer, offset, count).GetAwaiter().GetResult();

    public override void Write(byte[] buffer, int offset, int count) => WriteAsync(buffer, offset, count).GetAwaiter().GetResult();

    public override Task FlushAsync(CancellationToken cancellationToken) => Task.CompletedTask;

    public override void Flush()
    {
    }

    public override bool CanRead => true;

    public override bool CanWrite => true;

    public override bool CanSeek => false;

    public override long Length => throw new NotSupportedException();

    public override long Position { get => throw new NotSupportedException(); set => throw new NotSupportedException(); }

    public override long Seek(long offset, SeekOrigin origin) => throw new NotSupportedException();

    public override void SetLength(long value) => throw new NotSupportedException();
}
