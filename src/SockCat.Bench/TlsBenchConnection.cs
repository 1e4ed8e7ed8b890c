using System.Buffers;
using System.Diagnostics;
using System.Net;
using System.Net.Security;
using System.Net.Sockets;
using System.Security.Authentication;
using SockCat.Client.Proxy;

namespace SockCat.Bench;

/// <summary>
/// One connection of <see cref="TlsBenchDriver"/>: a socket, an <see cref="SslStream"/> over it on tls:// (the bare
/// <see cref="NetworkStream"/> with <see cref="BenchIo.Async"/>), a reader that verifies every echoed byte against
/// <see cref="BenchPattern"/> and decides what to send next, and a writer that sends it from the pattern table.
/// </summary>
/// <remarks>
/// The reader owns <see cref="RecvPos"/>, <see cref="SendTarget"/> and the counters; the writer owns the send position
/// and publishes <see cref="SendIssued"/> before each write, so an echo is never taken for more than was sent. Per
/// message: one read, one write, one <see cref="BenchSignal"/> and no allocation (both loops are single long-lived
/// async methods whose state machines are allocated once; the receive buffer is rented once).
/// </remarks>
internal sealed class TlsBenchConnection(TlsBenchDriver run, int index)
{
    private readonly BenchOptions _options = run.Options;
    private readonly int _offset = BenchPattern.Offset(index);
    private readonly int _size = run.Options.MessageSize;
    private readonly int _window = run.Options.Mode == BenchMode.PingPong ? run.Options.Window : 1;
    private readonly long[] _sendTimes = new long[run.Options.Mode == BenchMode.PingPong ? run.Options.Window : 0];
    private readonly BenchSignal _signal = new();
    private Socket? _socket;
    private Stream? _stream;
    private long _messagesDone;
    private int _finished;

    // Read by the coordinator (progress, phases, the final sums); each written by one loop only.
    public long RecvPos;
    public long SendTarget;
    public long SendIssued;
    public long Messages;
    public long Bytes;
    public long MeasuredMessages;
    public long MeasuredBytes;

    /// <summary>Connected and not yet failed or closed by the run.</summary>
    public bool IsOpen => Volatile.Read(ref _finished) == 0 && _stream is not null;

    /// <summary>Connects, completes the handshake, then runs the reader and the writer until the connection fails or the run closes it.</summary>
    public async Task RunAsync(EndPoint target, IPAddress? source, SemaphoreSlim connectSlots, CancellationToken exit)
    {
        try
        {
            if (!await ConnectAsync(target, source, exit).ConfigureAwait(false))
            {
                return;
            }
        }
        finally
        {
            connectSlots.Release();
        }

        if (_options.Mode == BenchMode.PingPong)
        {
            var now = Stopwatch.GetTimestamp();
            for (var k = 0; k < _window; k++)
            {
                Issue(now, BenchPhase.Run);
            }
        }
        else
        {
            Refill(BenchPhase.Run);
        }

        var writer = WriteLoopAsync();
        await ReadLoopAsync().ConfigureAwait(false);
        Abort();
        _signal.Set();
        await writer.ConfigureAwait(false);
        await _stream!.DisposeAsync().ConfigureAwait(false);
    }

    private async Task<bool> ConnectAsync(EndPoint target, IPAddress? source, CancellationToken exit)
    {
        using var timeout = CancellationTokenSource.CreateLinkedTokenSource(exit);
        timeout.CancelAfter(TimeSpan.FromSeconds(_options.ConnectTimeoutSeconds));
        var stage = "connect()";
        var socket = target is UnixDomainSocketEndPoint
            ? new Socket(AddressFamily.Unix, SocketType.Stream, ProtocolType.Unspecified)
            : new Socket(target.AddressFamily, SocketType.Stream, ProtocolType.Tcp) { NoDelay = true };
        try
        {
            if (source is not null)
            {
                socket.Bind(new IPEndPoint(source, 0));
            }

            await socket.ConnectAsync(target, timeout.Token).ConfigureAwait(false);
            Stream stream = new NetworkStream(socket, ownsSocket: true);
            if (_options.Proxy is { } proxy)
            {
                stage = "the proxy handshake";
                await ProxyTunnel.NegotiateAsync(stream, proxy, _options.Url, timeout.Token).ConfigureAwait(false);
            }

            if (run.Tls is { } tls)
            {
                stage = "the TLS handshake";
                var ssl = new SslStream(stream, leaveInnerStreamOpen: false);
                stream = ssl;
                await ssl.AuthenticateAsClientAsync(tls, timeout.Token).ConfigureAwait(false);
                run.OnHandshake(ssl);
            }

            _socket = socket;
            _stream = stream;
            // Pairs with Close's exchange: either Close sees the socket and aborts it, or this sees the run closing.
            Interlocked.MemoryBarrier();
            if (Volatile.Read(ref _finished) != 0)
            {
                socket.Dispose();
                await stream.DisposeAsync().ConfigureAwait(false);
                return false;
            }

            run.OnConnected();
            return true;
        }
        catch (Exception e) when (e is SocketException or IOException or AuthenticationException or OperationCanceledException or ObjectDisposedException)
        {
            socket.Dispose();
            var why = e is OperationCanceledException
                ? $"timed out after {_options.ConnectTimeoutSeconds:0.#} s"
                : $"failed: {Describe(e)}";
            Volatile.Write(ref _finished, 1);
            run.OnConnectFailed($"{stage} {why}");
            return false;
        }
    }

    private async Task ReadLoopAsync()
    {
        var size = _options.Mode == BenchMode.Stream
            ? BenchPattern.MaxChunk
            : (int)Math.Clamp((long)_size * _window, 4096, BenchPattern.MaxChunk);
        var buffer = ArrayPool<byte>.Shared.Rent(size);
        try
        {
            while (true)
            {
                int n;
                try
                {
                    n = await _stream!.ReadAsync(buffer.AsMemory(0, size)).ConfigureAwait(false);
                }
                catch (Exception e) when (e is IOException or SocketException or ObjectDisposedException or AuthenticationException or InvalidOperationException)
                {
                    Fail($"read failed after {RecvPos} bytes: {Describe(e)}", verify: false);
                    return;
                }

                if (n == 0)
                {
                    Fail($"the server closed a connection after echoing {RecvPos} of {Volatile.Read(ref SendIssued)} bytes", verify: false);
                    return;
                }

                if (!OnData(buffer.AsSpan(0, n)))
                {
                    return;
                }
            }
        }
        finally
        {
            ArrayPool<byte>.Shared.Return(buffer);
        }
    }

    private bool OnData(ReadOnlySpan<byte> received)
    {
        var n = received.Length;
        var outstanding = Volatile.Read(ref SendIssued) - RecvPos;
        if (n > outstanding)
        {
            Fail($"the server echoed {n} bytes at position {RecvPos} when only {outstanding} were unanswered", verify: true);
            return false;
        }

        var expected = BenchPattern.Slice(RecvPos, _offset, n);
        if (!received.SequenceEqual(expected))
        {
            var at = RecvPos + received.CommonPrefixLength(expected);
            Fail($"echoed byte {at} of a connection differs from the byte sent", verify: true);
            return false;
        }

        var phase = run.Control.Phase;
        var measuring = phase == BenchPhase.Measure;
        Volatile.Write(ref RecvPos, RecvPos + n);
        Volatile.Write(ref Bytes, Bytes + n);
        if (measuring)
        {
            MeasuredBytes += n;
        }

        if (_options.Mode == BenchMode.PingPong)
        {
            var done = RecvPos / _size;
            if (done > _messagesDone)
            {
                var now = Stopwatch.GetTimestamp();
                var histogram = measuring ? run.Histogram : null;
                do
                {
                    histogram?.Record((long)((now - _sendTimes[(int)(_messagesDone % _window)]) * run.NsPerTick));
                    _messagesDone++;
                    if (measuring)
                    {
                        MeasuredMessages++;
                    }

                    Issue(now, phase);
                }
                while (_messagesDone < done);

                Volatile.Write(ref Messages, _messagesDone);
                _signal.Set();
            }
        }
        else
        {
            Refill(phase);
            _signal.Set();
        }

        return true;
    }

    private void Issue(long now, BenchPhase phase)
    {
        if (phase >= BenchPhase.Stop || SendTarget + _size > run.LimitBytes)
        {
            return;
        }

        _sendTimes[(int)(SendTarget / _size % _window)] = now;
        Volatile.Write(ref SendTarget, SendTarget + _size);
    }

    private void Refill(BenchPhase phase)
    {
        if (phase >= BenchPhase.Stop)
        {
            return;
        }

        var target = Math.Min(RecvPos + _options.InFlightBytes, run.LimitBytes);
        if (target > SendTarget)
        {
            Volatile.Write(ref SendTarget, target);
        }
    }

    private async Task WriteLoopAsync()
    {
        var pattern = TlsBenchDriver.Pattern;
        long sent = 0;
        try
        {
            while (Volatile.Read(ref _finished) == 0)
            {
                var target = Volatile.Read(ref SendTarget);
                while (sent < target)
                {
                    var length = (int)Math.Min(target - sent, BenchPattern.MaxChunk);
                    var start = (int)((sent + _offset) % BenchPattern.Period);
                    Volatile.Write(ref SendIssued, sent + length);
                    await _stream!.WriteAsync(pattern.AsMemory(start, length)).ConfigureAwait(false);
                    sent += length;
                    target = Volatile.Read(ref SendTarget);
                }

                await _signal.WaitAsync().ConfigureAwait(false);
            }
        }
        catch (Exception e) when (e is IOException or SocketException or ObjectDisposedException or AuthenticationException or InvalidOperationException)
        {
            Fail($"write failed after {sent} bytes: {Describe(e)}", verify: false);
        }
    }

    /// <summary>The first failure of a connection is its error; what follows from it (the other loop's failure, the close) is not.</summary>
    private void Fail(string message, bool verify)
    {
        if (Interlocked.Exchange(ref _finished, 1) == 0)
        {
            run.OnFailed(message, verify);
        }

        Abort();
        _signal.Set();
    }

    /// <summary>
    /// At the end of the run: an open connection still waiting for echoes counts them as a timeout; then it is closed
    /// (its loops end on the closed socket, which is not an error).
    /// </summary>
    public void Close()
    {
        if (Interlocked.Exchange(ref _finished, 1) == 0 && _stream is not null)
        {
            var missing = Volatile.Read(ref SendTarget) - Volatile.Read(ref RecvPos);
            if (missing > 0)
            {
                run.OnUnanswered(missing);
            }
        }

        Abort();
        _signal.Set();
    }

    // Closing the socket, not the SslStream, under a pending read or write: the operations fail at once, and the
    // SslStream is disposed only once neither loop uses it.
    private void Abort()
    {
        try
        {
            _socket?.Shutdown(SocketShutdown.Both);
        }
        catch (Exception e) when (e is SocketException or ObjectDisposedException)
        {
        }

        _socket?.Dispose();
    }

    private static string Describe(Exception e)
    {
        var inner = e;
        while (inner.InnerException is not null && inner is IOException or AuthenticationException && inner is not SockCat.Client.ConnectException)
        {
            inner = inner.InnerException;
        }

        return inner.Message.TrimEnd('.');
    }
}
