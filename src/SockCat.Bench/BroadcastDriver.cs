using System.Diagnostics;
using System.Net;
using System.Net.Sockets;
using System.Runtime.InteropServices;
using SockCat.Endpoints;
using SockCat.Internal.Interop;

namespace SockCat.Bench;

/// <summary>
/// <c>sockcat bench broadcast</c>, for brokers (<c>sockcat serve broker</c>, <c>ncat --broker</c>): every client sends
/// its own lines of <see cref="BenchOptions.MessageSize"/> bytes, one write each, and every line must reach every other
/// client, whole, once, and in its sender's order. A sender keeps <see cref="BenchOptions.Window"/> lines in flight: the
/// next goes when the oldest has reached all the others. One epoll loop on one thread drives every client; it measures
/// deliveries (a line arriving at one client) per second and each delivery's latency from its send.
/// </summary>
/// <remarks>
/// Before measuring, every client must have received a hello line from another: a broker that registers members as it
/// accepts them cannot then miss a measured line for a member it has not seen yet.
/// </remarks>
internal sealed unsafe class BroadcastDriver : IDisposable
{
    // sender (6) seq (12) timestamp (20), separated by spaces, then padding up to the newline.
    internal const int MinimumLineSize = 42;
    private const int MaxEvents = 1024;
    private const int ReceiveBufferSize = 256 * 1024;

    private readonly BenchOptions _options;
    private readonly int _lineSize;
    private readonly int _window;
    private readonly List<Client> _clients = [];
    private readonly int _epollFd;
    private readonly byte[] _receive = GC.AllocateUninitializedArray<byte>(ReceiveBufferSize, pinned: true);
    private readonly Queue<Client> _ready = new();
    private int[,] _expected = new int[0, 0]; // [receiver, sender]: the next seq the receiver must see from the sender
    private int[,] _reached = new int[0, 0];  // [sender, seq % window]: receivers a line has reached
    private bool _measuring;
    private bool _sending;
    private int _hellos;
    private long _arrivals;

    public readonly LatencyHistogram Histogram = new();
    public readonly BenchErrors Errors = new();
    public long Deliveries;
    public long DeliveredBytes;
    public long LinesSent;

    private BroadcastDriver(BenchOptions options)
    {
        _options = options;
        _lineSize = options.MessageSize;
        _window = options.Window;
        _epollFd = LinuxSockets.EpollCreate1(LinuxSockets.EPOLL_CLOEXEC);
        if (_epollFd < 0)
        {
            throw new IOException($"epoll_create1 failed (errno {LinuxSockets.LastError})");
        }
    }

    public static Task<BenchResult> RunAsync(BenchOptions options, Action<BenchProgress>? progress, CancellationToken cancellationToken)
    {
        var done = new TaskCompletionSource<BenchResult>(TaskCreationOptions.RunContinuationsAsynchronously);
        var thread = new Thread(() =>
        {
            try
            {
                using var driver = new BroadcastDriver(options);
                done.TrySetResult(driver.Run(progress, cancellationToken));
            }
            catch (Exception e)
            {
                done.TrySetException(e);
            }
        })
        { IsBackground = true, Name = "sockcat-bench-broadcast" };
        thread.Start();
        return done.Task;
    }

    private BenchResult Run(Action<BenchProgress>? progress, CancellationToken cancellationToken)
    {
        var start = Stopwatch.GetTimestamp();
        var cpuStart = Process.GetCurrentProcess().TotalProcessorTime;
        var endpoint = Resolve(_options.Url);
        _expected = new int[_options.Connections, _options.Connections];
        _reached = new int[_options.Connections, _window];

        for (var i = 0; i < _options.Connections && !cancellationToken.IsCancellationRequested; i++)
        {
            if (!Connect(endpoint, i))
            {
                break;
            }
        }

        // Join: clients 0 and 1 send hellos (line 0, never checked for order) until every client
        // has heard one (every 100 ms, slow enough not to swamp a slow broker): a client that has received a line is a member, and stays one, before any measured line is sent.
        var joinDeadline = Stopwatch.GetTimestamp() + (long)(_options.ConnectTimeoutSeconds * Stopwatch.Frequency);
        var nextHello = 0L;
        while (Errors.Total == 0 && _clients.Count == _options.Connections && _hellos < _clients.Count && !cancellationToken.IsCancellationRequested)
        {
            var now = Stopwatch.GetTimestamp();
            if (now >= nextHello)
            {
                SendLine(_clients[0], 0);
                SendLine(_clients[1], 0);
                nextHello = now + Stopwatch.Frequency / 10;
            }

            if (now > joinDeadline)
            {
                Errors.Timeout++;
                Errors.Note($"{_clients.Count - _hellos} clients had heard no other client {_options.ConnectTimeoutSeconds} s after connecting");
            }

            Poll(5);
        }

        var connectSeconds = Stopwatch.GetElapsedTime(start).TotalSeconds;
        double measured = 0;
        if (Errors.Total == 0 && _clients.Count == _options.Connections)
        {
            for (var s = 0; s < _clients.Count; s++)
            {
                // Lines from 1 on; the hello was 0.
                for (var r = 0; r < _clients.Count; r++)
                {
                    _expected[r, s] = 1;
                }

                _clients[s].NextSeq = 1;
                _ready.Enqueue(_clients[s]);
            }

            _sending = true;
            var phaseStart = Stopwatch.GetTimestamp();
            var warmupEnd = phaseStart + (long)(_options.WarmupSeconds * Stopwatch.Frequency);
            var duration = _options.DurationSeconds ?? 10;
            long measureStart = 0, measureEnd = 0, nextProgress = phaseStart + Stopwatch.Frequency;
            long lastDeliveries = 0;
            while (!cancellationToken.IsCancellationRequested && Errors.Total == 0)
            {
                var now = Stopwatch.GetTimestamp();
                if (!_measuring && measureStart == 0 && now >= warmupEnd)
                {
                    _measuring = true;
                    measureStart = now;
                }

                if (_measuring && now - measureStart >= (long)(duration * Stopwatch.Frequency))
                {
                    measureEnd = now;
                    _measuring = false;
                    break;
                }

                if (progress is not null && now >= nextProgress)
                {
                    nextProgress = now + Stopwatch.Frequency;
                    var total = Deliveries;
                    progress(new BenchProgress(Stopwatch.GetElapsedTime(start), _measuring ? "measure" : "warm-up", _clients.Count, _options.Connections,
                        total - lastDeliveries, 0, Errors.Total));
                    lastDeliveries = total;
                }

                SendReady();
                Poll(_ready.Count > 0 ? 0 : 10);
            }

            measured = measureEnd > measureStart ? (double)(measureEnd - measureStart) / Stopwatch.Frequency : 0;

            // Drain: no new lines; every line sent must still reach every other client. A slow broker (ncat at 1,000
            // clients: seconds per line) still delivers, so only a stall, no line arriving for a while, is an error.
            _sending = false;
            var stallSeconds = Math.Max(_options.DrainSeconds, 10);
            var lastCount = -1L;
            var lastProgress = Stopwatch.GetTimestamp();
            while (Errors.Total == 0 && _clients.Any(c => c.InFlight > 0))
            {
                if (_arrivals != lastCount)
                {
                    lastCount = _arrivals;
                    lastProgress = Stopwatch.GetTimestamp();
                }
                else if (Stopwatch.GetElapsedTime(lastProgress).TotalSeconds > stallSeconds)
                {
                    var missing = _clients.Sum(c => (long)c.InFlight);
                    Errors.Timeout += missing;
                    Errors.Note($"{missing} lines had not reached every other client, and none arrived for {stallSeconds} s");
                    break;
                }

                Poll(10);
            }
        }

        return new BenchResult
        {
            Options = _options,
            Seconds = measured,
            Messages = measured > 0 ? Deliveries : 0,
            Bytes = measured > 0 ? DeliveredBytes : 0,
            Latency = Histogram,
            Errors = Errors,
            Connected = _clients.Count,
            ConnectSeconds = connectSeconds,
            ClientCpuSeconds = (Process.GetCurrentProcess().TotalProcessorTime - cpuStart).TotalSeconds,
            ClientWallSeconds = Stopwatch.GetElapsedTime(start).TotalSeconds,
            Io = BenchIo.Epoll,
        };
    }

    private static EndPoint Resolve(EndpointUrl url) => url.Scheme == EndpointScheme.Unix
        ? new UnixDomainSocketEndPoint(url.Path)
        : new IPEndPoint(LoadGenerator.ResolveHostAsync(url.Host, CancellationToken.None).GetAwaiter().GetResult(), url.Port);

    private bool Connect(EndPoint endpoint, int index)
    {
        var socket = endpoint is UnixDomainSocketEndPoint
            ? new Socket(AddressFamily.Unix, SocketType.Stream, ProtocolType.Unspecified)
            : new Socket(endpoint.AddressFamily, SocketType.Stream, ProtocolType.Tcp) { NoDelay = true };
        try
        {
            socket.Connect(endpoint);
        }
        catch (SocketException e)
        {
            socket.Dispose();
            Errors.Connect++;
            Errors.Note($"connect {index + 1}: {e.Message}");
            return false;
        }

        socket.Blocking = false;
        var client = new Client(index, socket, _lineSize);
        _clients.Add(client);
        var ev = new LinuxSockets.EpollEvent { Events = LinuxSockets.EPOLLIN, Data = (ulong)index };
        LinuxSockets.EpollCtl(_epollFd, LinuxSockets.EPOLL_CTL_ADD, client.Fd, &ev);
        return true;
    }

    private void SendReady()
    {
        while (_sending && _ready.TryDequeue(out var client))
        {
            client.Queued = false;
            while (client.InFlight < _window && Errors.Total == 0)
            {
                SendLine(client, client.NextSeq++);
            }
        }
    }

    private void SendLine(Client client, long seq)
    {
        var line = client.Line;
        Format(line, client.Index, seq, Stopwatch.GetTimestamp());
        if (seq > 0)
        {
            client.InFlight++;
            LinesSent++;
        }

        fixed (byte* p = line)
        {
            var n = LinuxSockets.Send(client.Fd, p, line.Length, LinuxSockets.MSG_NOSIGNAL);
            if (n == line.Length)
            {
                return;
            }

            if (n < 0 && LinuxSockets.LastError != LinuxSockets.EAGAIN)
            {
                Fail(client, $"send: {Marshal.GetPInvokeErrorMessage(LinuxSockets.LastError)}");
                return;
            }

            // The server is not reading this client: it is a broker's business to read, so count it and stop.
            Fail(client, $"send would block (the server took {Math.Max(0, n)} of {line.Length} bytes)");
        }
    }

    private void Poll(int timeoutMs)
    {
        var events = stackalloc LinuxSockets.EpollEvent[MaxEvents];
        var n = LinuxSockets.EpollWait(_epollFd, events, MaxEvents, timeoutMs);
        for (var i = 0; i < n; i++)
        {
            OnReadable(_clients[(int)events[i].Data]);
        }
    }

    private void OnReadable(Client client)
    {
        fixed (byte* buffer = _receive)
        {
            var kept = client.PartialLength;
            client.Partial.AsSpan(0, kept).CopyTo(_receive);
            var n = LinuxSockets.Recv(client.Fd, buffer + kept, ReceiveBufferSize - kept, 0);
            if (n <= 0)
            {
                if (n < 0 && LinuxSockets.LastError == LinuxSockets.EAGAIN)
                {
                    return;
                }

                Fail(client, n == 0 ? "the server closed the connection" : $"recv: {Marshal.GetPInvokeErrorMessage(LinuxSockets.LastError)}");
                return;
            }

            var data = _receive.AsSpan(0, kept + (int)n);
            var now = Stopwatch.GetTimestamp();
            var whole = data.Length - data.Length % _lineSize;
            for (var at = 0; at < whole; at += _lineSize)
            {
                if (!OnLine(client, data.Slice(at, _lineSize), now))
                {
                    return;
                }
            }

            data[whole..].CopyTo(client.Partial);
            client.PartialLength = data.Length - whole;
        }
    }

    private bool OnLine(Client receiver, ReadOnlySpan<byte> line, long now)
    {
        if (!TryParse(line, out var sender, out var seq, out var sentAt) || sender == receiver.Index || sender >= _clients.Count)
        {
            Errors.Verify++;
            Errors.Note($"client {receiver.Index} received a line that is not one sent by another client: '{System.Text.Encoding.ASCII.GetString(line).TrimEnd('\n')}'");
            return false;
        }

        if (seq == 0)
        {
            if (!receiver.Joined)
            {
                receiver.Joined = true;
                _hellos++;
            }

            return true;
        }

        if (seq != _expected[receiver.Index, sender])
        {
            Errors.Verify++;
            Errors.Note($"client {receiver.Index} received line {seq} of client {sender} where {_expected[receiver.Index, sender]} was due (a line lost, doubled or reordered)");
            return false;
        }

        _expected[receiver.Index, sender] = (int)seq + 1;
        _arrivals++;

        if (_measuring)
        {
            Deliveries++;
            DeliveredBytes += line.Length;
            Histogram.Record((long)((now - sentAt) * (1e9 / Stopwatch.Frequency)));
        }

        var slot = (int)(seq % _window);
        if (++_reached[sender, slot] == _clients.Count - 1)
        {
            _reached[sender, slot] = 0;
            var from = _clients[sender];
            from.InFlight--;
            if (!from.Queued)
            {
                from.Queued = true;
                _ready.Enqueue(from);
            }
        }

        return true;
    }

    private void Fail(Client client, string why)
    {
        Errors.Closed++;
        Errors.Note($"client {client.Index}: {why}");
    }

    /// <summary>"SSSSSS QQQQQQQQQQQQ TTTTTTTTTTTTTTTTTTTT xxx…\n": sender, seq and send time in decimal, padded to the line size.</summary>
    internal static void Format(Span<byte> line, int sender, long seq, long timestamp)
    {
        line.Fill((byte)'x');
        Digits(line[..6], sender);
        line[6] = (byte)' ';
        Digits(line.Slice(7, 12), seq);
        line[19] = (byte)' ';
        Digits(line.Slice(20, 20), timestamp);
        line[40] = (byte)' ';
        line[^1] = (byte)'\n';
    }

    internal static bool TryParse(ReadOnlySpan<byte> line, out int sender, out long seq, out long timestamp)
    {
        sender = 0;
        seq = timestamp = 0;
        if (line.Length < MinimumLineSize || line[^1] != (byte)'\n' || line[6] != (byte)' ' || line[19] != (byte)' ' || line[40] != (byte)' '
            || !TryDigits(line[..6], out var s) || !TryDigits(line.Slice(7, 12), out seq) || !TryDigits(line.Slice(20, 20), out timestamp))
        {
            return false;
        }

        for (var i = 41; i < line.Length - 1; i++)
        {
            if (line[i] != (byte)'x')
            {
                return false;
            }
        }

        sender = (int)s;
        return true;
    }

    private static void Digits(Span<byte> into, long value)
    {
        for (var i = into.Length - 1; i >= 0; i--)
        {
            into[i] = (byte)('0' + value % 10);
            value /= 10;
        }
    }

    private static bool TryDigits(ReadOnlySpan<byte> from, out long value)
    {
        value = 0;
        foreach (var b in from)
        {
            if ((uint)(b - '0') > 9)
            {
                return false;
            }

            value = value * 10 + (b - '0');
        }

        return true;
    }

    public void Dispose()
    {
        foreach (var client in _clients)
        {
            client.Socket.Dispose();
        }

        LinuxSockets.Close(_epollFd);
    }

    private sealed class Client(int index, Socket socket, int lineSize)
    {
        public readonly int Index = index;
        public readonly Socket Socket = socket;
        public readonly int Fd = (int)socket.Handle;
        public readonly byte[] Line = new byte[lineSize];
        public readonly byte[] Partial = new byte[lineSize];
        public int PartialLength;
        public int InFlight;
        public long NextSeq;
        public bool Queued;
        public bool Joined;
    }
}
