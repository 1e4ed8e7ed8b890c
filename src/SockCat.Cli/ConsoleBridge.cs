using System.Net.Sockets;
using SockCat.Client;

namespace SockCat.Cli;

/// <summary>How a joined connection ended, when it ended without an error.</summary>
internal enum BridgeEnd
{
    /// <summary>The peer closed (or, for UDP, stdin ended and the last replies came in): exit 0.</summary>
    Closed,

    /// <summary>Nothing moved either way for --idle-timeout.</summary>
    Idle,
}

/// <summary>
/// Joins a connection to stdin and stdout, as nc does: stdin to the peer, the peer to stdout, byte for byte. On stdin's
/// end the send side is shut down and the peer's reply is still read; the peer's end of stream ends the bridge.
/// </summary>
internal static class ConsoleBridge
{
    private const int ReceiveBufferSize = 64 * 1024;

    // A UDP datagram holds at most 65,507 bytes over IPv4 (65,535 less the 20-byte IP and 8-byte UDP headers).
    private const int MaxDatagram = 65_507;

    // After stdin ends, a UDP client waits this long with nothing arriving for the last replies.
    private static readonly TimeSpan UdpLinger = TimeSpan.FromSeconds(1);

    public static async Task<BridgeEnd> RunStreamAsync(
        Stream peer,
        Func<ValueTask> shutdownSend,
        StdinSource? input,
        ReadOnlyMemory<byte> send,
        Stream output,
        TimeSpan? idleTimeout,
        string peerName,
        CancellationToken cancellationToken)
    {
        using var stop = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        var clock = new ActivityClock();
        var receive = ReceiveStreamAsync(peer, output, clock, peerName, stop.Token);
        var transmit = TransmitStreamAsync(peer, shutdownSend, input, send, clock, peerName, stop.Token);
        var idle = idleTimeout is { } limit ? clock.WaitIdleAsync(limit, stop.Token) : Task.Delay(Timeout.Infinite, stop.Token);
        return await RaceAsync(receive, transmit, idle, lingerAfterTransmit: null, stop).ConfigureAwait(false);
    }

    public static async Task<BridgeEnd> RunDatagramAsync(
        ClientConnection connection,
        StdinSource? input,
        ReadOnlyMemory<byte> send,
        Stream output,
        TimeSpan? idleTimeout,
        CancellationToken cancellationToken)
    {
        using var stop = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        var clock = new ActivityClock();
        var peerName = connection.Url.ToString();
        var receive = ReceiveDatagramsAsync(connection, output, clock, peerName, stop.Token);
        var transmit = TransmitDatagramsAsync(connection, input, send, clock, peerName, stop.Token);
        var idle = idleTimeout is { } limit ? clock.WaitIdleAsync(limit, stop.Token) : Task.Delay(Timeout.Infinite, stop.Token);
        var linger = idleTimeout is { } l && l < UdpLinger ? l : UdpLinger;
        return await RaceAsync(receive, transmit, idle, () => clock.WaitIdleAsync(linger, stop.Token), stop).ConfigureAwait(false);
    }

    private static async Task<BridgeEnd> RaceAsync(Task receive, Task transmit, Task idle, Func<Task>? lingerAfterTransmit, CancellationTokenSource stop)
    {
        Task? linger = null;
        try
        {
            while (true)
            {
                var done = await Task.WhenAny(receive, transmit, idle).ConfigureAwait(false);
                if (done == receive)
                {
                    await receive.ConfigureAwait(false);
                    return BridgeEnd.Closed;
                }

                if (done == idle)
                {
                    await idle.ConfigureAwait(false);
                    return BridgeEnd.Idle;
                }

                if (done == linger)
                {
                    await linger.ConfigureAwait(false);
                    return BridgeEnd.Closed;
                }

                await transmit.ConfigureAwait(false);
                // Sending is done (half-closed); what is left is the peer's reply, the idle limit, or for UDP the linger.
                transmit = linger = lingerAfterTransmit?.Invoke() ?? Task.Delay(Timeout.Infinite, stop.Token);
            }
        }
        finally
        {
            stop.Cancel();
            // The losers end with cancellation or an error nobody needs any more; observe them.
            _ = receive.ContinueWith(static t => t.Exception, TaskScheduler.Default);
            _ = transmit.ContinueWith(static t => t.Exception, TaskScheduler.Default);
            _ = idle.ContinueWith(static t => t.Exception, TaskScheduler.Default);
        }
    }

    private static async Task ReceiveStreamAsync(Stream peer, Stream output, ActivityClock clock, string peerName, CancellationToken cancellationToken)
    {
        var buffer = new byte[ReceiveBufferSize];
        while (true)
        {
            int count;
            try
            {
                count = await peer.ReadAsync(buffer, cancellationToken).ConfigureAwait(false);
            }
            catch (IOException ex) when (!cancellationToken.IsCancellationRequested)
            {
                throw Lost(peerName, ex);
            }

            if (count == 0)
            {
                return;
            }

            clock.Touch();
            await output.WriteAsync(buffer.AsMemory(0, count), cancellationToken).ConfigureAwait(false);
            await output.FlushAsync(cancellationToken).ConfigureAwait(false);
        }
    }

    private static async Task TransmitStreamAsync(
        Stream peer, Func<ValueTask> shutdownSend, StdinSource? input, ReadOnlyMemory<byte> send, ActivityClock clock, string peerName, CancellationToken cancellationToken)
    {
        try
        {
            if (!send.IsEmpty)
            {
                await peer.WriteAsync(send, cancellationToken).ConfigureAwait(false);
                clock.Touch();
            }

            while (input is not null)
            {
                var chunk = await input.ReadAsync(cancellationToken).ConfigureAwait(false);
                if (chunk.IsEmpty)
                {
                    break;
                }

                await peer.WriteAsync(chunk, cancellationToken).ConfigureAwait(false);
                clock.Touch();
            }

            await peer.FlushAsync(cancellationToken).ConfigureAwait(false);
            await shutdownSend().ConfigureAwait(false);
        }
        catch (Exception ex) when (ex is IOException or SocketException && !cancellationToken.IsCancellationRequested)
        {
            throw Lost(peerName, ex);
        }
    }

    private static async Task ReceiveDatagramsAsync(ClientConnection connection, Stream output, ActivityClock clock, string peerName, CancellationToken cancellationToken)
    {
        var buffer = new byte[ReceiveBufferSize];
        while (true)
        {
            int count;
            try
            {
                count = await connection.ReceiveDatagramAsync(buffer, cancellationToken).ConfigureAwait(false);
            }
            catch (SocketException ex) when (!cancellationToken.IsCancellationRequested)
            {
                throw DatagramFailure(peerName, ex);
            }

            clock.Touch();
            await output.WriteAsync(buffer.AsMemory(0, count), cancellationToken).ConfigureAwait(false);
            await output.FlushAsync(cancellationToken).ConfigureAwait(false);
        }
    }

    private static async Task TransmitDatagramsAsync(
        ClientConnection connection, StdinSource? input, ReadOnlyMemory<byte> send, ActivityClock clock, string peerName, CancellationToken cancellationToken)
    {
        try
        {
            if (!send.IsEmpty)
            {
                await connection.SendDatagramAsync(send, cancellationToken).ConfigureAwait(false);
                clock.Touch();
            }

            if (input is null)
            {
                return;
            }

            // Each line (its \n included, as nc sends a typed line) is one datagram; a line too long for one is cut.
            var line = new byte[MaxDatagram];
            var length = 0;
            while (true)
            {
                var chunk = await input.ReadAsync(cancellationToken).ConfigureAwait(false);
                if (chunk.IsEmpty)
                {
                    break;
                }

                var rest = chunk;
                while (!rest.IsEmpty)
                {
                    var newline = rest.Span.IndexOf((byte)'\n');
                    var take = Math.Min(newline >= 0 ? newline + 1 : rest.Length, line.Length - length);
                    rest.Span[..take].CopyTo(line.AsSpan(length));
                    length += take;
                    var complete = take == newline + 1 || length == line.Length;
                    rest = rest[take..];
                    if (complete)
                    {
                        await connection.SendDatagramAsync(line.AsMemory(0, length), cancellationToken).ConfigureAwait(false);
                        clock.Touch();
                        length = 0;
                    }
                }
            }

            if (length > 0)
            {
                await connection.SendDatagramAsync(line.AsMemory(0, length), cancellationToken).ConfigureAwait(false);
                clock.Touch();
            }
        }
        catch (SocketException ex) when (!cancellationToken.IsCancellationRequested)
        {
            throw DatagramFailure(peerName, ex);
        }
    }

    private static CliException DatagramFailure(string peerName, SocketException ex)
    {
        var (_, name) = SocketErrorNames.Describe(ex);
        return ex.SocketErrorCode == SocketError.ConnectionRefused
            ? new CliException($"{peerName} refused the datagram: nothing is listening on that port ({name}); is a server running there?", ExitCodes.ConnectFailed, ex)
            : new CliException($"sending to {peerName} failed: {ex.Message.TrimEnd('.')} ({name})", ExitCodes.ConnectionLost, ex);
    }

    public static CliException Lost(string peerName, Exception ex)
    {
        var socket = ex as SocketException ?? ex.InnerException as SocketException;
        if (socket is null)
        {
            return new CliException($"the connection to {peerName} broke: {ex.Message.TrimEnd('.')}", ExitCodes.ConnectionLost, ex);
        }

        var (_, name) = SocketErrorNames.Describe(socket);
        var what = socket.SocketErrorCode switch
        {
            SocketError.ConnectionReset => "was reset by the peer",
            SocketError.Shutdown => "was closed by the peer while sending",
            SocketError.ConnectionAborted => "was aborted",
            SocketError.TimedOut => "timed out",
            _ => $"broke: {socket.Message.TrimEnd('.')}",
        };
        return new CliException($"the connection to {peerName} {what} ({name})", ExitCodes.ConnectionLost, ex);
    }

    /// <summary>When anything last moved either way, for --idle-timeout; a plain field write per chunk, no timer reset.</summary>
    private sealed class ActivityClock
    {
        private long _last = Environment.TickCount64;

        public void Touch() => Volatile.Write(ref _last, Environment.TickCount64);

        public async Task WaitIdleAsync(TimeSpan limit, CancellationToken cancellationToken)
        {
            var limitMs = (long)limit.TotalMilliseconds;
            while (true)
            {
                var remaining = Volatile.Read(ref _last) + limitMs - Environment.TickCount64;
                if (remaining <= 0)
                {
                    return;
                }

                await Task.Delay(TimeSpan.FromMilliseconds(remaining), cancellationToken).ConfigureAwait(false);
            }
        }
    }
}
