using Microsoft.AspNetCore.Http.Features;

namespace SockCat.Web;

/// <summary>
/// Stands in for Kestrel's upgrade feature so that the stream a WebSocket runs on is not disposed by the WebSocket
/// itself, and can be lingered on: ASP.NET Core's WebSocket fails on a peer's protocol error (an unmasked frame,
/// invalid UTF-8) right after writing its close frame, and a request that ends then, with the peer still connected,
/// is aborted by Kestrel with a reset (SO_LINGER 0) that can destroy the close frame before the peer reads it.
/// </summary>
internal sealed class GracefulUpgradeFeature(IHttpUpgradeFeature inner) : IHttpUpgradeFeature
{
    public bool IsUpgradableRequest => inner.IsUpgradableRequest;

    private Stream? _upgraded;

    public async Task<Stream> UpgradeAsync()
    {
        _upgraded = await inner.UpgradeAsync().ConfigureAwait(false);
        return new UndisposedStream(_upgraded);
    }

    /// <summary>
    /// After a WebSocket ended on an error of the peer's (its close frame sent, no answer): reads and drops what the
    /// peer still sends until it closes, for at most <paramref name="limit"/>. Ending the request at once would make
    /// Kestrel abort, and an abort resets the connection (SO_LINGER 0), which can destroy the close frame in flight.
    /// </summary>
    public async Task LingerAsync(TimeSpan limit)
    {
        if (_upgraded is null)
        {
            return;
        }

        using var timeout = new CancellationTokenSource(limit);
        var buffer = new byte[1024];
        try
        {
            while (await _upgraded.ReadAsync(buffer, timeout.Token).ConfigureAwait(false) > 0)
            {
            }
        }
        catch (Exception ex) when (ex is OperationCanceledException or IOException or ObjectDisposedException or InvalidOperationException)
        {
        }
    }

    private sealed class UndisposedStream(Stream inner) : Stream
    {
        public override bool CanRead => inner.CanRead;

        public override bool CanSeek => false;

        public override bool CanWrite => inner.CanWrite;

        public override long Length => throw new NotSupportedException();

        public override long Position
        {
            get => throw new NotSupportedException();
            set => throw new NotSupportedException();
        }

        public override void Flush() => inner.Flush();

        public override Task FlushAsync(CancellationToken cancellationToken) => inner.FlushAsync(cancellationToken);

        public override int Read(byte[] buffer, int offset, int count) => inner.Read(buffer, offset, count);

        public override ValueTask<int> ReadAsync(Memory<byte> buffer, CancellationToken cancellationToken = default) => inner.ReadAsync(buffer, cancellationToken);

        public override Task<int> ReadAsync(byte[] buffer, int offset, int count, CancellationToken cancellationToken) =>
            inner.ReadAsync(buffer, offset, count, cancellationToken);

        public override void Write(byte[] buffer, int offset, int count) => inner.Write(buffer, offset, count);

        public override ValueTask WriteAsync(ReadOnlyMemory<byte> buffer, CancellationToken cancellationToken = default) => inner.WriteAsync(buffer, cancellationToken);

        public override Task WriteAsync(byte[] buffer, int offset, int count, CancellationToken cancellationToken) =>
            inner.WriteAsync(buffer, offset, count, cancellationToken);

        public override long Seek(long offset, SeekOrigin origin) => throw new NotSupportedException();

        public override void SetLength(long value) => throw new NotSupportedException();

        // Dispose and DisposeAsync are Stream's own: they leave the inner stream to the request's end.
    }
}
