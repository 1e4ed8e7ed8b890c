using System.Net.Security;
using Microsoft.Extensions.Time.Testing;
using SockCat.Server.Tls;

namespace SockCat.UnitTests.Server.Tls;

public class HandshakeTimeoutTests
{
    [Theory]
    [InlineData(true)]
    [InlineData(false)]
    public async Task AuthenticateWithTimeout_PeerSendsNothing_ThrowsTimeoutAndDisposesStream(bool honoursCancellation)
    {
        using var certificate = ServerCertificateLoader.CreateSelfSigned();
        var inner = new SilentStream(honoursCancellation);
        var ssl = new SslStream(inner);
        // Longer than the test waits: were the real clock to time it, the test would fail.
        var timeout = TimeSpan.FromSeconds(60);
        var time = new FakeTimeProvider();

        var handshake = TlsServer.AuthenticateAsServerWithTimeoutAsync(ssl, TlsServer.CreateOptions(certificate), timeout, time, CancellationToken.None);
        // The clock is the test's: nothing but the timeout can end a handshake with a peer that says nothing.
        time.Advance(timeout - TimeSpan.FromTicks(1));
        Assert.False(handshake.IsCompleted);
        time.Advance(TimeSpan.FromTicks(1));
        var ex = await Assert.ThrowsAsync<TlsHandshakeTimeoutException>(() => handshake.WaitAsync(TimeSpan.FromSeconds(10)));

        Assert.Equal(timeout, ex.Timeout);
        Assert.Equal("the TLS handshake did not complete within 60 s", ex.Message);
        Assert.True(inner.Disposed);
    }

    [Fact]
    public async Task AuthenticateWithTimeout_ServerStopping_ThrowsCancelled()
    {
        using var certificate = ServerCertificateLoader.CreateSelfSigned();
        var ssl = new SslStream(new SilentStream(honoursCancellation: false));
        using var stopping = new CancellationTokenSource(TimeSpan.FromMilliseconds(100));

        await Assert.ThrowsAnyAsync<OperationCanceledException>(() =>
            TlsServer.AuthenticateAsServerWithTimeoutAsync(ssl, TlsServer.CreateOptions(certificate), TimeSpan.FromSeconds(30), stopping.Token)
                .WaitAsync(TimeSpan.FromSeconds(10)));
    }

    /// <summary>A peer that connected and says nothing: reads never complete until cancelled or disposed.</summary>
    private sealed class SilentStream(bool honoursCancellation) : Stream
    {
        private readonly TaskCompletionSource<int> _closed = new(TaskCreationOptions.RunContinuationsAsynchronously);

        public bool Disposed { get; private set; }

        public override bool CanRead => true;
        public override bool CanSeek => false;
        public override bool CanWrite => true;
        public override long Length => throw new NotSupportedException();
        public override long Position { get => throw new NotSupportedException(); set => throw new NotSupportedException(); }

        public override async ValueTask<int> ReadAsync(Memory<byte> buffer, CancellationToken cancellationToken = default) =>
            await _closed.Task.WaitAsync(honoursCancellation ? cancellationToken : CancellationToken.None);

        public override Task<int> ReadAsync(byte[] buffer, int offset, int count, CancellationToken cancellationToken) =>
            ReadAsync(buffer.AsMemory(offset, count), cancellationToken).AsTask();

        public override ValueTask WriteAsync(ReadOnlyMemory<byte> buffer, CancellationToken cancellationToken = default) => ValueTask.CompletedTask;
        public override Task WriteAsync(byte[] buffer, int offset, int count, CancellationToken cancellationToken) => Task.CompletedTask;
        public override Task FlushAsync(CancellationToken cancellationToken) => Task.CompletedTask;
        public override void Flush() { }
        public override int Read(byte[] buffer, int offset, int count) => throw new NotSupportedException();
        public override long Seek(long offset, SeekOrigin origin) => throw new NotSupportedException();
        public override void SetLength(long value) => throw new NotSupportedException();
        public override void Write(byte[] buffer, int offset, int count) => throw new NotSupportedException();

        protected override void Dispose(bool disposing)
        {
            Disposed = true;
            _closed.TrySetException(new ObjectDisposedException(nameof(SilentStream)));
            base.Dispose(disposing);
        }
    }
}
