using System.Buffers;
using System.IO.Pipelines;
using System.Net.Security;
using System.Runtime.CompilerServices;
using System.Security.Authentication;
using Microsoft.AspNetCore.Connections;
using Microsoft.Extensions.Logging;
using SockCat.Server.Hosting;

namespace SockCat.Server.Tls;

/// <summary>
/// TLS for a tls:// listener Kestrel hosts, in place of <c>UseHttps</c>: the server handshake on the connection's
/// transport, cut after the handshake timeout, then the connection's pipes replaced by pipes over the
/// <see cref="SslStream"/>. Kestrel's own middleware sizes those pipes by its memory pool's 4 KiB blocks, so it reads
/// SslStream 4 KiB at a time and writes a 4 KiB TLS record per block: the handler then gets 4 KiB per call and every
/// echo flush is a record, an encryption and a socket send of its own. Here reads take up to a whole record at once
/// and writes go out in records of up to 16 KiB (the TLS maximum). A failed or timed-out handshake closes the
/// connection without calling the rest of the pipeline, with one log line saying why (the admission finally gives the
/// place back).
/// </summary>
internal sealed class TlsConnectionMiddleware(ConnectionDelegate next, SslServerAuthenticationOptions options, TimeSpan handshakeTimeout, ILogger logger)
{
    // A TLS record carries at most 16 KiB of plaintext, and SslStream decrypts every whole record it has buffered into
    // one read while room is left: a 64 KiB buffer takes all of them, and 16 KiB write segments make each flush of up
    // to 16 KiB one record. Buffers are rented per read or write and returned once consumed or flushed (the writer
    // keeps its last segment), and the reader waits for data with a zero-byte read first, so an idle connection holds
    // no read buffer.
    private const int ReadBufferSize = 64 * 1024;
    private const int MinimumReadSize = 16 * 1024;
    private const int WriteSegmentSize = 16 * 1024;

    private static readonly StreamPipeReaderOptions ReaderOptions = new(
        bufferSize: ReadBufferSize, minimumReadSize: MinimumReadSize, leaveOpen: true, useZeroByteReads: true);

    private static readonly StreamPipeWriterOptions WriterOptions = new(minimumBufferSize: WriteSegmentSize, leaveOpen: true);

    public async Task OnConnectionAsync(ConnectionContext context)
    {
        var original = context.Transport;
        var transport = new DuplexPipeStream(original);
        var ssl = new SslStream(transport, leaveInnerStreamOpen: false);
        try
        {
            await TlsServer.AuthenticateAsServerWithTimeoutAsync(ssl, options, handshakeTimeout, context.ConnectionClosed).ConfigureAwait(false);
        }
        catch (Exception ex) when (ex is TimeoutException or OperationCanceledException or IOException or AuthenticationException or ObjectDisposedException)
        {
            await ssl.DisposeAsync().ConfigureAwait(false);
            var peer = context.RemoteEndPoint?.ToString();
            if (ex is TimeoutException)
            {
                TlsLog.HandshakeTimedOut(logger, peer, handshakeTimeout.TotalSeconds);
            }
            else if (ex is not OperationCanceledException and not ObjectDisposedException)
            {
                // Cancelled or disposed: the server is stopping or the connection was aborted, which is logged elsewhere.
                TlsLog.HandshakeFailed(logger, peer, ex.InnerException?.Message ?? ex.Message);
            }

            return;
        }

        transport.DeferFlush = true;
        var input = PipeReader.Create(ssl, ReaderOptions);
        var output = PipeWriter.Create(ssl, WriterOptions);
        context.Transport = new SslDuplexPipe(input, output);
        // Where the transport can end its output alone (the engine's loop), so can TLS: close_notify, then the FIN.
        var halfClose = context.Features.Get<IConnectionHalfCloseFeature>();
        if (halfClose is not null)
        {
            context.Features.Set<IConnectionHalfCloseFeature>(new TlsHalfClose(ssl, transport, halfClose));
        }

        try
        {
            await next(context).ConfigureAwait(false);
        }
        finally
        {
            if (halfClose is not null)
            {
                context.Features.Set(halfClose);
            }

            try
            {
                await input.CompleteAsync().ConfigureAwait(false);
                // Writes what the handler left unflushed (the server-full line is flushed already; this is a safety net).
                await output.CompleteAsync().ConfigureAwait(false);
            }
            catch (Exception ex) when (ex is IOException or OperationCanceledException or ObjectDisposedException or ConnectionAbortedException or InvalidOperationException)
            {
                // The peer is gone or the connection was aborted: nothing left to deliver.
            }

            await ssl.DisposeAsync().ConfigureAwait(false);
            // Kestrel closes the socket through the transport it handed out.
            context.Transport = original;
        }
    }

    /// <summary>
    /// The half-close of a TLS connection, as socat's <c>openssl-listen</c> does it: the handler's output is flushed
    /// already, so close_notify follows the last record, and then the transport's own half-close sends the FIN. Reading
    /// goes on: the peer may send after it (TLS 1.3 says so; OpenSSL and SslStream allow it on 1.2 too).
    /// </summary>
    private sealed class TlsHalfClose(SslStream ssl, DuplexPipeStream transport, IConnectionHalfCloseFeature inner) : IConnectionHalfCloseFeature
    {
        public async Task ShutdownSendAsync()
        {
            await ssl.ShutdownAsync().ConfigureAwait(false);
            // close_notify was only written into the pipe (DeferFlush): send it before the FIN.
            await transport.FlushAsync(CancellationToken.None).ConfigureAwait(false);
            await inner.ShutdownSendAsync().ConfigureAwait(false);
        }
    }

    private sealed class SslDuplexPipe(PipeReader input, PipeWriter output) : IDuplexPipe
    {
        public PipeReader Input { get; } = input;

        public PipeWriter Output { get; } = output;
    }

    /// <summary>
    /// The connection's transport pipes as the stream SslStream reads and writes. Writes flush at once, so Kestrel's
    /// outbound bound (its pipe's pause threshold) holds SslStream back as it holds a plain handler. Zero-byte reads
    /// wait for data without taking any, which lets SslStream hold no buffer while the connection is idle.
    /// </summary>
    private sealed class DuplexPipeStream(IDuplexPipe transport) : Stream
    {
        private readonly PipeReader _input = transport.Input;
        private readonly PipeWriter _output = transport.Output;

        public override bool CanRead => true;

        public override bool CanSeek => false;

        public override bool CanWrite => true;

        public override long Length => throw new NotSupportedException();

        public override long Position
        {
            get => throw new NotSupportedException();
            set => throw new NotSupportedException();
        }

        // Pooled: this completes asynchronously whenever SslStream waits for the peer, once or twice per message.
        [AsyncMethodBuilder(typeof(PoolingAsyncValueTaskMethodBuilder<>))]
        public override async ValueTask<int> ReadAsync(Memory<byte> destination, CancellationToken cancellationToken = default)
        {
            while (true)
            {
                var result = await _input.ReadAsync(cancellationToken).ConfigureAwait(false);
                var buffer = result.Buffer;
                if (result.IsCanceled)
                {
                    _input.AdvanceTo(buffer.Start);
                    throw new OperationCanceledException("The transport's read was cancelled.");
                }

                if (!buffer.IsEmpty)
                {
                    var n = (int)Math.Min(buffer.Length, destination.Length);
                    buffer.Slice(0, n).CopyTo(destination.Span);
                    _input.AdvanceTo(buffer.GetPosition(n));
                    return n;
                }

                _input.AdvanceTo(buffer.End);
                if (result.IsCompleted)
                {
                    return 0;
                }
            }
        }

        public override Task<int> ReadAsync(byte[] buffer, int offset, int count, CancellationToken cancellationToken) =>
            ReadAsync(buffer.AsMemory(offset, count), cancellationToken).AsTask();

        /// <summary>
        /// Once the handshake is done: writes only fill the transport's pipe and <see cref="FlushAsync(CancellationToken)"/>
        /// sends them. SslStream writes a record at a time (16 KiB at most) and the StreamPipeWriter over it flushes once
        /// after all its records, so a handler's flush reaches the socket as one send rather than one per record. During
        /// the handshake every write goes out at once, as SslStream expects.
        /// </summary>
        public bool DeferFlush { get; set; }

        public override ValueTask WriteAsync(ReadOnlyMemory<byte> source, CancellationToken cancellationToken = default)
        {
            if (DeferFlush)
            {
                _output.Write(source.Span);
                return default;
            }

            return FlushResultAsync(_output.WriteAsync(source, cancellationToken));
        }

        // Kestrel's outbound bound (the pipe's pause threshold) holds SslStream back here, as it holds a plain handler.
        public override Task FlushAsync(CancellationToken cancellationToken) => FlushResultAsync(_output.FlushAsync(cancellationToken)).AsTask();

        private static ValueTask FlushResultAsync(ValueTask<FlushResult> flush)
        {
            if (flush.IsCompletedSuccessfully)
            {
                return flush.Result.IsCanceled ? ValueTask.FromException(new OperationCanceledException("The transport's write was cancelled.")) : default;
            }

            return AwaitFlushAsync(flush);
        }

        // Only when Kestrel's outbound bound holds the write back (the peer is not reading).
        private static async ValueTask AwaitFlushAsync(ValueTask<FlushResult> flush)
        {
            if ((await flush.ConfigureAwait(false)).IsCanceled)
            {
                throw new OperationCanceledException("The transport's write was cancelled.");
            }
        }

        public override Task WriteAsync(byte[] buffer, int offset, int count, CancellationToken cancellationToken) =>
            WriteAsync(buffer.AsMemory(offset, count), cancellationToken).AsTask();

        public override void Flush() => FlushAsync(CancellationToken.None).GetAwaiter().GetResult();

        // SslStream only uses the asynchronous members here; the synchronous ones block on them for completeness.
        public override int Read(byte[] buffer, int offset, int count) => ReadAsync(buffer.AsMemory(offset, count)).AsTask().GetAwaiter().GetResult();

        public override void Write(byte[] buffer, int offset, int count) => WriteAsync(buffer.AsMemory(offset, count)).AsTask().GetAwaiter().GetResult();

        public override long Seek(long offset, SeekOrigin origin) => throw new NotSupportedException();

        public override void SetLength(long value) => throw new NotSupportedException();
    }
}
