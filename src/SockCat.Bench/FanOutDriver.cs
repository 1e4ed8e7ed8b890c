using System.Diagnostics;
using System.Net;
using System.Net.Sockets;
using System.Runtime.InteropServices;
using SockCat.Endpoints;
using SockCat.Internal.Interop;

namespace SockCat.Bench;

/// <summary>
/// What <see cref="BroadcastDriver"/> and <see cref="ChatDriver"/> share: clients spread over rooms (connection i in room
/// i mod rooms; a broker is one room), each sending its own lines (<see cref="FanOutLine"/>), one write each, every line to
/// reach every other member of its room once and in its sender's order. A sender keeps <see cref="BenchOptions.Window"/>
/// lines in flight: the next goes when the oldest has reached its whole room (or, with a line rate, when it is due). One
/// epoll loop on one thread connects, joins, warms up, measures deliveries (a line arriving at one client) per second and
/// each delivery's latency from its send, and drains.
/// </summary>
/// <remarks>
/// A subclass says only what differs: what a client sends on connecting (<see cref="OnConnected"/>), how a line goes on the
/// wire (<see cref="Client.Frame"/>), how received bytes split into lines and which lines are wrong
/// (<see cref="OnReceived"/>, which hands each sender's line to <see cref="Deliver"/>), and the words of its errors. The
/// hot path (send, receive, <see cref="Deliver"/>) allocates nothing and takes no lock; a subclass is called once per
/// read, and calls back once per line without a virtual call.
/// </remarks>
internal abstract unsafe class FanOutDriver : IDisposable
{
    private const int MaxEvents = 1024;
    private const int ReceiveBufferSize = 256 * 1024;

    private readonly BenchOptions _options;
    private readonly int _window;
    private readonly int _rooms;
    private readonly double _lineRate;
    private readonly IReadOnlyList<EndpointUrl> _alsoUrls;
    private readonly int _partialSize;
    private readonly List<Client> _clients = [];
    private readonly int _epollFd;
    private readonly byte[] _receive = GC.AllocateUninitializedArray<byte>(ReceiveBufferSize, pinned: true);
    private readonly Queue<Client> _ready = new();
    private int[,] _reached = new int[0, 0];  // [sender, seq % window]: receivers a line has reached
    private long _paced;
    private long _behind;
    private bool _measuring;
    private bool _sending;
    private int _hellos;
    private long _arrivals;

    public readonly LatencyHistogram Histogram = new();
    public readonly BenchErrors Errors = new();
    public long Deliveries;
    public long DeliveredBytes;

    /// <param name="options">The run; its rooms, line rate and other nodes are the next three, which a broker leaves out.</param>
    /// <param name="rooms">Rooms the connections are spread over.</param>
    /// <param name="linesPerSecondPerUser">Lines a second each user sends (an open loop); 0: as fast as the window allows.</param>
    /// <param name="alsoUrls">More nodes of one server beside <see cref="BenchOptions.Url"/> (<see cref="NodeOf"/>).</param>
    /// <param name="partialSize">The longest unfinished line a client keeps between reads.</param>
    protected FanOutDriver(BenchOptions options, int rooms, double linesPerSecondPerUser, IReadOnlyList<EndpointUrl> alsoUrls, int partialSize)
    {
        _options = options;
        LineSize = options.MessageSize;
        _window = options.Window;
        _rooms = rooms;
        _lineRate = linesPerSecondPerUser;
        _alsoUrls = alsoUrls;
        _partialSize = partialSize;
        _epollFd = LinuxSockets.EpollCreate1(LinuxSockets.EPOLL_CLOEXEC);
        if (_epollFd < 0)
        {
            throw new IOException($"epoll_create1 failed (errno {LinuxSockets.LastError})");
        }
    }

    /// <summary>The line size, the newline included (<see cref="BenchOptions.MessageSize"/>).</summary>
    protected int LineSize { get; }

    /// <summary>Clients connected so far.</summary>
    protected int ClientCount => _clients.Count;

    /// <summary>Whom a client has heard when it has joined, for the join timeout: "other client".</summary>
    protected abstract string Peer { get; }

    /// <summary>Whom a line must reach, for the drain timeout: "every other client".</summary>
    protected abstract string Audience { get; }

    /// <summary>Runs <paramref name="create"/>'s driver on a thread of its own (its loop blocks in epoll_wait).</summary>
    protected static Task<BenchResult> RunOnThread(Func<FanOutDriver> create, string threadName, Action<BenchProgress>? progress, CancellationToken cancellationToken)
    {
        var done = new TaskCompletionSource<BenchResult>(TaskCreationOptions.RunContinuationsAsynchronously);
        var thread = new Thread(() =>
        {
            try
            {
                using var driver = create();
                done.TrySetResult(driver.Run(progress, cancellationToken));
            }
            catch (Exception e)
            {
                done.TrySetException(e);
            }
        })
        { IsBackground = true, Name = threadName };
        thread.Start();
        return done.Task;
    }

    /// <summary>
    /// The server (0 for the URL, then each --also) of connection <paramref name="index"/>: round-robin by its place in its
    /// room, so that with several nodes every room has members on every node and its lines must cross between them.
    /// </summary>
    internal static int NodeOf(int index, int rooms, int nodes) => index / rooms % nodes;

    /// <summary>Members of room <paramref name="room"/>.</summary>
    private int RoomSize(int room) => _options.Connections / _rooms + (room < _options.Connections % _rooms ? 1 : 0);

    /// <summary>Called when <paramref name="client"/> has connected, before the next connects: a protocol's greeting.</summary>
    protected virtual void OnConnected(Client client)
    {
    }

    /// <summary>
    /// Splits <paramref name="data"/>, what <paramref name="client"/> received after what it kept from its last read, into
    /// lines, and hands each sender's line to <see cref="Deliver"/>; returns the unfinished end to keep for the next read
    /// (at most the partial size), or nothing once a line has failed (the run is over then).
    /// </summary>
    protected abstract Span<byte> OnReceived(Client client, Span<byte> data, long now);

    private BenchResult Run(Action<BenchProgress>? progress, CancellationToken cancellationToken)
    {
        var start = Stopwatch.GetTimestamp();
        var cpuStart = Process.GetCurrentProcess().TotalProcessorTime;
        var endpoints = new EndPoint[1 + _alsoUrls.Count];
        endpoints[0] = Resolve(_options.Url);
        for (var i = 0; i < _alsoUrls.Count; i++)
        {
            endpoints[i + 1] = Resolve(_alsoUrls[i]);
        }

        _reached = new int[_options.Connections, _window];
        for (var i = 0; i < _options.Connections && !cancellationToken.IsCancellationRequested; i++)
        {
            if (!Connect(endpoints[NodeOf(i, _rooms, endpoints.Length)], i))
            {
                break;
            }

            OnConnected(_clients[i]);
        }

        // Join: the first two members of each room send hellos (line 0, never checked for order) until every client has
        // heard one (every 100 ms, slow enough not to swamp a slow server): a client that has received a line is a
        // member, and stays one, before any measured line is sent.
        var joinDeadline = Stopwatch.GetTimestamp() + (long)(_options.ConnectTimeoutSeconds * Stopwatch.Frequency);
        var nextHello = 0L;
        while (Errors.Total == 0 && _clients.Count == _options.Connections && _hellos < _clients.Count && !cancellationToken.IsCancellationRequested)
        {
            var now = Stopwatch.GetTimestamp();
            if (now >= nextHello)
            {
                for (var i = 0; i < Math.Min(2 * _rooms, _clients.Count); i++)
                {
                    SendLine(_clients[i], 0);
                }

                nextHello = now + Stopwatch.Frequency / 10;
            }

            if (now > joinDeadline)
            {
                Errors.Timeout++;
                Errors.Note($"{_clients.Count - _hellos} clients had heard no {Peer} {_options.ConnectTimeoutSeconds} s after connecting");
            }

            Poll(5);
        }

        var connectSeconds = Stopwatch.GetElapsedTime(start).TotalSeconds;
        double measured = 0;
        if (Errors.Total == 0 && _clients.Count == _options.Connections)
        {
            measured = Measure(start, progress, cancellationToken);
            Drain();
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

    /// <summary>Warm-up, then the measured seconds; returns them (0 if cut short).</summary>
    private double Measure(long start, Action<BenchProgress>? progress, CancellationToken cancellationToken)
    {
        foreach (var client in _clients)
        {
            // Lines from 1 on; the hello was 0.
            Array.Fill(client.Expected, 1);
            client.NextSeq = 1;
            _ready.Enqueue(client);
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

            if (_lineRate > 0)
            {
                SendPaced(now - phaseStart);
                Poll(1);
            }
            else
            {
                SendReady();
                Poll(_ready.Count > 0 ? 0 : 10);
            }
        }

        if (_behind > 0)
        {
            Errors.Timeout += _behind;
            Errors.Note($"the server fell behind the offered rate: {_behind} lines were due while their sender still had --window {_window} lines in flight");
        }

        return measureEnd > measureStart ? (double)(measureEnd - measureStart) / Stopwatch.Frequency : 0;
    }

    /// <summary>
    /// No new lines; every line sent must still reach its whole room. A slow server (ncat at 1,000 clients: seconds per
    /// line) still delivers, so only a stall, no line arriving for a while, is an error.
    /// </summary>
    private void Drain()
    {
        _sending = false;
        var stallSeconds = Math.Max(_options.DrainSeconds, 10);
        var lastCount = -1L;
        var lastProgress = Stopwatch.GetTimestamp();
        long missing;
        while (Errors.Total == 0 && (missing = InFlight()) > 0)
        {
            if (_arrivals != lastCount)
            {
                lastCount = _arrivals;
                lastProgress = Stopwatch.GetTimestamp();
            }
            else if (Stopwatch.GetElapsedTime(lastProgress).TotalSeconds > stallSeconds)
            {
                Errors.Timeout += missing;
                Errors.Note($"{missing} lines had not reached {Audience}, and none arrived for {stallSeconds} s");
                break;
            }

            Poll(10);
        }
    }

    private long InFlight()
    {
        var total = 0L;
        foreach (var client in _clients)
        {
            total += client.InFlight;
        }

        return total;
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
        var room = index % _rooms;
        var roomSize = RoomSize(room);
        var client = new Client(index, room, index / _rooms, roomSize, socket, LineSize, _partialSize);
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

    /// <summary>Sends the lines due by <paramref name="elapsed"/> ticks at the offered rate, one user after another.</summary>
    private void SendPaced(long elapsed)
    {
        var due = (long)(elapsed / (double)Stopwatch.Frequency * _lineRate * _clients.Count);
        while (_paced < due && Errors.Total == 0)
        {
            var client = _clients[(int)(_paced++ % _clients.Count)];
            if (client.InFlight < _window)
            {
                SendLine(client, client.NextSeq++);
            }
            else if (_measuring)
            {
                _behind++;
            }
        }
    }

    private void SendLine(Client client, long seq)
    {
        var wire = client.Wire;
        var line = wire.AsSpan(client.LineAt, LineSize);
        FanOutLine.Format(line, client.Index, seq, Stopwatch.GetTimestamp());
        if (client.Crlf)
        {
            // CRLF for the line's LF: the wire has the one byte more.
            line[^1] = (byte)'\r';
            wire[^1] = (byte)'\n';
        }

        if (seq > 0)
        {
            client.InFlight++;
        }

        Send(client, wire);
    }

    /// <summary>Sends <paramref name="bytes"/> in one write, or counts the client failed.</summary>
    protected void Send(Client client, ReadOnlySpan<byte> bytes)
    {
        fixed (byte* p = bytes)
        {
            var n = LinuxSockets.Send(client.Fd, p, bytes.Length, LinuxSockets.MSG_NOSIGNAL);
            if (n == bytes.Length)
            {
                return;
            }

            if (n < 0 && LinuxSockets.LastError != LinuxSockets.EAGAIN)
            {
                Fail(client, $"send: {Marshal.GetPInvokeErrorMessage(LinuxSockets.LastError)}");
                return;
            }

            // The server is not reading this client: it is a broker's or chat server's business to read, so count it and stop.
            Fail(client, $"send would block (the server took {Math.Max(0, n)} of {bytes.Length} bytes)");
        }
    }

    /// <summary>Reads what the server has sent, waiting at most <paramref name="timeoutMs"/> for it.</summary>
    protected void Poll(int timeoutMs)
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

            var rest = OnReceived(client, _receive.AsSpan(0, kept + (int)n), Stopwatch.GetTimestamp());
            rest.CopyTo(client.Partial);
            client.PartialLength = rest.Length;
        }
    }

    /// <summary>
    /// Line <paramref name="seq"/> of <paramref name="sender"/>, another member of <paramref name="receiver"/>'s room, has
    /// arrived (<paramref name="length"/> bytes as received): a hello joins the receiver; any other must be the next due
    /// from that sender (false, counted and noted, if not). It is counted, its latency recorded while measuring, and once it
    /// has reached the whole room its sender may send another.
    /// </summary>
    protected bool Deliver(Client receiver, int sender, long seq, long sentAt, int length, long now)
    {
        if (seq == 0)
        {
            if (!receiver.Joined)
            {
                receiver.Joined = true;
                _hellos++;
            }

            return true;
        }

        var from = _clients[sender];
        var expected = receiver.Expected;
        if (seq != expected[from.Place])
        {
            Errors.Verify++;
            Errors.Note($"client {receiver.Index} received line {seq} of client {sender} where {expected[from.Place]} was due (a line lost, doubled or reordered)");
            return false;
        }

        expected[from.Place] = (int)seq + 1;
        _arrivals++;
        if (_measuring)
        {
            Deliveries++;
            DeliveredBytes += length;
            Histogram.Record((long)((now - sentAt) * (1e9 / Stopwatch.Frequency)));
        }

        var slot = (int)(seq % _window);
        if (++_reached[sender, slot] == from.RoomSize - 1)
        {
            _reached[sender, slot] = 0;
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

    public void Dispose()
    {
        foreach (var client in _clients)
        {
            client.Socket.Dispose();
        }

        LinuxSockets.Close(_epollFd);
    }

    /// <summary>One connection: its place among the clients, its line as it goes on the wire, and what it has received.</summary>
    protected sealed class Client(int index, int room, int place, int roomSize, Socket socket, int lineSize, int partialSize)
    {
        public readonly int Index = index;
        public readonly int Room = room;
        public readonly int Place = place; // among its room's members: index / rooms
        public readonly int RoomSize = roomSize;
        public readonly Socket Socket = socket;
        public readonly int Fd = (int)socket.Handle;

        // [the sender's place in the room]: the next seq due from it; one per member of the room.
        public readonly int[] Expected = new int[roomSize];

        // A line as it goes on the wire: after LineAt bytes of the protocol's own, and with CRLF for its LF when Crlf.
        public byte[] Wire = new byte[lineSize];
        public int LineAt;
        public bool Crlf;

        public readonly byte[] Partial = new byte[partialSize];
        public int PartialLength;
        public int InFlight;
        public long NextSeq;
        public bool Queued;
        public bool Joined;
        public bool Discarding; // for a subclass whose server sends lines of its own too long to keep

        /// <summary>Sends each line after <paramref name="prefix"/>, and ending in CRLF when <paramref name="crlf"/>.</summary>
        public void Frame(ReadOnlySpan<byte> prefix, bool crlf)
        {
            var lineSize = Wire.Length - LineAt - (Crlf ? 1 : 0);
            Wire = new byte[prefix.Length + lineSize + (crlf ? 1 : 0)];
            prefix.CopyTo(Wire);
            LineAt = prefix.Length;
            Crlf = crlf;
        }
    }
}
