using System.Diagnostics;
using System.Net;
using System.Net.Sockets;
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
internal abstract unsafe partial class FanOutDriver : IDisposable
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

    public void Dispose()
    {
        foreach (var client in _clients)
        {
            client.Socket.Dispose();
        }

        LinuxSockets.Close(_epollFd);
    }
}
