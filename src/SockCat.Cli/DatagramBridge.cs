using System.Net.Sockets;
using SockCat.Client;
using SockCat.Streams;

namespace SockCat.Cli;

/// <summary>
/// `connect udp://`: each line of stdin is one datagram and each datagram received is printed. The stream bridge's end
/// rules, where UDP has no end of stream: stdin's end ends sending; receiving then ends after a second with nothing
/// arriving (or -q's time), and the bridge with it; an error, --idle-timeout or a signal end it at once.
/// </summary>
internal static class DatagramBridge
{
    // A UDP datagram holds at most 65,507 bytes over IPv4 (65,535 less the 20-byte IP and 8-byte UDP headers).
    private const int MaxDatagram = 65_507;

    // After stdin ends, the last replies are awaited this long with nothing arriving.
    private static readonly TimeSpan Linger = TimeSpan.FromSeconds(1);

    /// <summary>
    /// Bridges stdin and stdout to a connected datagram socket. <paramref name="firstDatagram"/>, when given, was received
    /// before (by `listen`, whose peer is whoever speaks first) and is printed first. With <paramref name="lingerAfterInput"/>
    /// false, receiving goes on after stdin's end until -q, --idle-timeout or a signal, as nc -u -l does: a listener's peer
    /// may speak at any time.
    /// </summary>
    public static async Task<StreamBridgeResult> RunAsync(
        Socket socket, Stream input, Stream output, StreamBridgeOptions options, CancellationToken cancellationToken,
        ReadOnlyMemory<byte> firstDatagram = default, bool lingerAfterInput = true)
    {
        using var stop = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        var run = new Run(socket, output, options.Traffic, stop.Token);
        if (!firstDatagram.IsEmpty && await run.PrintAsync(firstDatagram, options.Receive).ConfigureAwait(false) is { } failed)
        {
            return failed;
        }

        var receive = run.ReceiveAsync(options.Receive);
        var send = options.Send ? run.SendAsync(input) : NeverAsync(stop.Token);
        var idle = options.IdleTimeout is { } limit ? run.WaitQuietAsync(limit) : Task.Delay(Timeout.Infinite, stop.Token);
        try
        {
            var first = await Task.WhenAny(receive, send, idle).ConfigureAwait(false);
            if (first == send && await send.ConfigureAwait(false) is null)
            {
                run.InputEnded = true;
                // Sent all: without receiving, done; else the last replies, for the linger (or -q) or the idle limit.
                if (!options.Receive)
                {
                    return run.Result(StreamBridgeOutcome.Completed);
                }

                var last = options.QuitAfterInputEnd is { } q ? Task.Delay(q, stop.Token)
                    : lingerAfterInput ? run.WaitQuietAsync(options.IdleTimeout is { } i && i < Linger ? i : Linger)
                    : Task.Delay(Timeout.Infinite, stop.Token);
                first = await Task.WhenAny(receive, last, idle).ConfigureAwait(false);
                if (first == last)
                {
                    await last.ConfigureAwait(false);
                    return run.Result(options.QuitAfterInputEnd is null ? StreamBridgeOutcome.Completed : StreamBridgeOutcome.QuitAfterInputEnd);
                }
            }

            if (first == idle)
            {
                await idle.ConfigureAwait(false);
                return run.Result(StreamBridgeOutcome.IdleTimeout);
            }

            var failure = await ((Task<StreamBridgeResult?>)first).ConfigureAwait(false);
            return failure ?? run.Result(StreamBridgeOutcome.Completed);
        }
        catch (OperationCanceledException) when (cancellationToken.IsCancellationRequested)
        {
            return run.Result(StreamBridgeOutcome.Cancelled);
        }
        finally
        {
            await stop.CancelAsync().ConfigureAwait(false);
            _ = Task.WhenAll(receive, send, idle).ContinueWith(static t => t.Exception, TaskScheduler.Default);
        }
    }

    /// <summary>A failed datagram exchange in one line: a port nobody listens on is a connect failure (exit 3), as in `connect`.</summary>
    public static CliException Failure(string peerName, Exception ex)
    {
        if (ex is not SocketException socket)
        {
            return new CliException($"sending to {peerName} failed: {ex.Message.TrimEnd('.')}", ExitCodes.ConnectionLost, ex);
        }

        var (_, name) = SocketErrorNames.Describe(socket);
        return socket.SocketErrorCode == SocketError.ConnectionRefused
            ? new CliException($"{peerName} refused the datagram: nothing is listening on that port ({name}); is a server running there?", ExitCodes.ConnectFailed, ex)
            : new CliException($"sending to {peerName} failed: {socket.Message.TrimEnd('.')} ({name})", ExitCodes.ConnectionLost, ex);
    }

    private static async Task<StreamBridgeResult?> NeverAsync(CancellationToken cancellationToken)
    {
        await Task.Delay(Timeout.Infinite, cancellationToken).ConfigureAwait(false);
        return null;
    }

    private sealed class Run(Socket socket, Stream output, ITrafficObserver? traffic, CancellationToken stop)
    {
        private long _sent;
        private long _received;
        private long _lastActivity = Environment.TickCount64;

        public bool InputEnded { get; set; }

        public StreamBridgeResult Result(StreamBridgeOutcome outcome, Exception? error = null) =>
            new(outcome, Interlocked.Read(ref _sent), Interlocked.Read(ref _received), InputEnded, PeerEnded: false, error);

        /// <summary>Runs until an error (returned as the result) or cancellation; a datagram socket has no end.</summary>
        public async Task<StreamBridgeResult?> ReceiveAsync(bool print)
        {
            var buffer = new byte[MaxDatagram];
            while (true)
            {
                int count;
                try
                {
                    count = await socket.ReceiveAsync(buffer, SocketFlags.None, stop).ConfigureAwait(false);
                }
                catch (SocketException ex)
                {
                    return Result(StreamBridgeOutcome.PeerFailed, ex);
                }

                if (await PrintAsync(buffer.AsMemory(0, count), print).ConfigureAwait(false) is { } failed)
                {
                    return failed;
                }
            }
        }

        /// <summary>Counts one datagram received and prints it; the result when stdout failed.</summary>
        public async Task<StreamBridgeResult?> PrintAsync(ReadOnlyMemory<byte> datagram, bool print)
        {
            Interlocked.Add(ref _received, datagram.Length);
            traffic?.OnTraffic(TrafficDirection.Received, datagram.Span);
            Touch();
            if (!print)
            {
                return null;
            }

            try
            {
                await output.WriteAsync(datagram, stop).ConfigureAwait(false);
                await output.FlushAsync(stop).ConfigureAwait(false);
                return null;
            }
            catch (IOException ex)
            {
                return Result(StreamBridgeOutcome.OutputFailed, ex);
            }
        }

        /// <summary>Sends stdin line by line (its \n included, as nc sends a typed line); a line too long for one datagram is cut. Null at stdin's end.</summary>
        public async Task<StreamBridgeResult?> SendAsync(Stream input)
        {
            var chunk = new byte[64 * 1024];
            var line = new byte[MaxDatagram];
            var length = 0;
            try
            {
                while (true)
                {
                    int read;
                    try
                    {
                        read = await input.ReadAsync(chunk, stop).ConfigureAwait(false);
                    }
                    catch (IOException ex)
                    {
                        return Result(StreamBridgeOutcome.InputFailed, ex);
                    }

                    if (read == 0)
                    {
                        break;
                    }

                    var rest = chunk.AsMemory(0, read);
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
                            await SendOneAsync(line.AsMemory(0, length)).ConfigureAwait(false);
                            length = 0;
                        }
                    }
                }

                if (length > 0)
                {
                    await SendOneAsync(line.AsMemory(0, length)).ConfigureAwait(false);
                }

                return null;
            }
            catch (SocketException ex)
            {
                return Result(StreamBridgeOutcome.PeerFailed, ex);
            }
        }

        /// <summary>Ends when nothing has moved either way for <paramref name="limit"/>.</summary>
        public async Task WaitQuietAsync(TimeSpan limit)
        {
            var limitMs = (long)limit.TotalMilliseconds;
            while (true)
            {
                var remaining = Volatile.Read(ref _lastActivity) + limitMs - Environment.TickCount64;
                if (remaining <= 0)
                {
                    return;
                }

                await Task.Delay(TimeSpan.FromMilliseconds(remaining), stop).ConfigureAwait(false);
            }
        }

        private async Task SendOneAsync(ReadOnlyMemory<byte> datagram)
        {
            traffic?.OnTraffic(TrafficDirection.Sent, datagram.Span);
            await socket.SendAsync(datagram, SocketFlags.None, stop).ConfigureAwait(false);
            Interlocked.Add(ref _sent, datagram.Length);
            Touch();
        }

        private void Touch() => Volatile.Write(ref _lastActivity, Environment.TickCount64);
    }
}
