using System.Diagnostics;
using System.Runtime.InteropServices;
using SockCat.Internal.Interop;

namespace SockCat.Bench;

/// <summary>
/// One client loop thread: its share of the connections on an epoll set of its own, level-triggered, non-blocking
/// connect, one recv and one send per message, sending from and verifying against <see cref="BenchPattern"/>.
/// Nothing is allocated, locked or logged per message: the load generator must cost less than the servers it measures.
/// The counters it publishes are written by this thread only and read by the coordinator once a second.
/// With <see cref="BenchIo.Uring"/> (pingpong and stream), connections are opened here, then handed to an io_uring
/// (BenchLoop.Uring.cs) once all are open; everything but the I/O calls (verification, timing, phases) is shared.
/// Opening connections is BenchLoop.Open.cs, the epoll path's traffic BenchLoop.Traffic.cs.
/// </summary>
internal sealed unsafe partial class BenchLoop : IDisposable
{
    private const int MaxEvents = 1024;
    private const int RecvSize = BenchPattern.MaxChunk;
    private const int IPPROTO_IP = 0;
    private const int IP_BIND_ADDRESS_NO_PORT = 24;
    private const int EADDRNOTAVAIL = 99;

    private enum State : byte
    {
        Pending,
        Connecting,
        Open,
        Failed,
    }

    private struct Conn
    {
        public int Fd;
        public State State;
        public bool WantOut;
        public int Offset;
        public long SendPos;
        public long SendTarget;
        public long RecvPos;
        public long MessagesDone;
        public long ConnectStarted;

        // io_uring only: the bytes of the one send in flight (0: none), just past SendPos in the stream, and
        // whether it was sent without a completion on success (then its echo retires it).
        public int SendLen;
        public bool SendSilent;
    }

    private readonly BenchOptions _options;
    private readonly BenchControl _control;
    private readonly SocketAddressBytes _target;
    private readonly SocketAddressBytes[] _sources;
    private readonly int _loopIndex;
    private readonly int _threads;
    private readonly Conn[] _conns;
    private readonly long[] _sendTimes;
    private readonly int _window;
    private readonly int _size;
    private readonly long _limitBytes;
    private readonly double _nsPerTick = 1e9 / Stopwatch.Frequency;
    private readonly long _connectTimeoutTicks;
    private readonly int[] _retry;
    private int _retryHead;
    private int _retryCount;
    private int _nextToOpen;
    private int _opened;
    private int _pending;
    private int _epfd = -1;
    private byte* _recvBuffer;
    private LinuxSockets.EpollEvent* _events;
    private bool _recording;
    private bool _stopping;
    private int _round;
    private long _lastScan;
    private long _messagesAtMeasure;
    private long _bytesAtMeasure;

    public BenchLoop(BenchOptions options, BenchControl control, SocketAddressBytes target, SocketAddressBytes[] sources, int loopIndex)
    {
        _options = options;
        _control = control;
        _target = target;
        _sources = sources;
        _loopIndex = loopIndex;
        _threads = options.Threads;
        var count = (options.Connections / _threads) + (loopIndex < options.Connections % _threads ? 1 : 0);
        _conns = new Conn[count];
        _retry = new int[count];
        _size = options.MessageSize;
        _window = options.Mode == BenchMode.PingPong ? options.Window : 1;
        _sendTimes = options.Mode == BenchMode.PingPong ? new long[count * _window] : [];
        _limitBytes = options.MessageCount is { } n ? n * _size : long.MaxValue;
        _connectTimeoutTicks = (long)(options.ConnectTimeoutSeconds * Stopwatch.Frequency);
        _useRing = options.Io == BenchIo.Uring && options.Mode != BenchMode.Conns;
        for (var j = 0; j < count; j++)
        {
            _conns[j].Fd = -1;
            _conns[j].Offset = BenchPattern.Offset(GlobalIndex(j));
        }

        Histogram = new LatencyHistogram();
        Errors = new BenchErrors();
    }

    public int ConnectionCount => _conns.Length;

    // Published to the coordinator (single writer: this loop's thread). Messages and Bytes count from the start.
    public long Messages;
    public long Bytes;
    public long MeasuredMessages;
    public long MeasuredBytes;
    public int Connected;
    public int ConnectFinished;
    public long LastConnectTicks;
    public int Awaiting = int.MaxValue;
    public int EchoOk;
    public int Active = int.MaxValue;
    public int ScannedPhase = -1;
    public int ScannedRound = -1;
    public volatile bool Exited;

    /// <summary>Latencies recorded during the measured phase; read after the loop exits.</summary>
    public LatencyHistogram Histogram { get; }

    /// <summary>Errors by kind; read after the loop exits.</summary>
    public BenchErrors Errors { get; }

    private int GlobalIndex(int local) => (local * _threads) + _loopIndex;

    public void Run()
    {
        try
        {
            _epfd = LinuxSockets.EpollCreate1(LinuxSockets.EPOLL_CLOEXEC);
            if (_epfd < 0)
            {
                throw new InvalidOperationException($"epoll_create1 failed: {Marshal.GetPInvokeErrorMessage(LinuxSockets.LastError)}");
            }

            _recvBuffer = (byte*)NativeMemory.Alloc(RecvSize);
            _events = (LinuxSockets.EpollEvent*)NativeMemory.Alloc(MaxEvents, (nuint)sizeof(LinuxSockets.EpollEvent));
            var seenPhase = BenchPhase.Run;
            while (true)
            {
                var phase = _control.Phase;
                if (phase != seenPhase)
                {
                    seenPhase = phase;
                    OnPhase(phase);
                    if (phase == BenchPhase.Exit)
                    {
                        break;
                    }
                }

                var round = _control.CheckRound;
                if (round != _round)
                {
                    StartRound(round);
                }

                var waitMs = OpenMore() ? 1 : 10;
                var n = LinuxSockets.EpollWait(_epfd, _events, MaxEvents, waitMs);
                for (var i = 0; i < n; i++)
                {
                    var ev = _events[i];
                    var j = (int)ev.Data;
                    ref var c = ref _conns[j];
                    if (c.State == State.Connecting)
                    {
                        OnConnectCompleted(ref c, j);
                        continue;
                    }

                    if (c.State != State.Open)
                    {
                        continue;
                    }

                    if ((ev.Events & (LinuxSockets.EPOLLIN | LinuxSockets.EPOLLERR | LinuxSockets.EPOLLHUP)) != 0)
                    {
                        OnReadable(ref c, j);
                    }

                    if (c.State == State.Open && (ev.Events & LinuxSockets.EPOLLOUT) != 0)
                    {
                        Flush(ref c);
                    }
                }

                var now = Stopwatch.GetTimestamp();
                var scanEvery = phase >= BenchPhase.Stop || _round > 0 ? Stopwatch.Frequency / 1000 : Stopwatch.Frequency / 100;
                if (now - _lastScan >= scanEvery)
                {
                    _lastScan = now;
                    Scan(now, phase);
                }

                if (_useRing && _nextToOpen >= _conns.Length && _retryCount == 0 && _pending == 0)
                {
                    RunRing(seenPhase);
                    break;
                }
            }

            CountUnanswered();
        }
        finally
        {
            CloseAll();
            _ring?.Dispose();
            _ring = null;
            Exited = true;
        }
    }

    private void OnPhase(BenchPhase phase)
    {
        if (phase == BenchPhase.Measure)
        {
            Histogram.Reset();
            _messagesAtMeasure = Messages;
            _bytesAtMeasure = Bytes;
            _recording = true;
        }
        else if (phase == BenchPhase.Stop)
        {
            EndMeasurement();
            _stopping = true;
        }
        else if (phase == BenchPhase.Exit)
        {
            // Exit can follow Measure before this loop saw Stop (the run ends early once every connection is gone).
            EndMeasurement();
        }
    }

    private void EndMeasurement()
    {
        // Not recording: stopped before measuring began (Ctrl+C in warm-up), whose traffic is not a measurement.
        if (_recording)
        {
            MeasuredMessages = Messages - _messagesAtMeasure;
            MeasuredBytes = Bytes - _bytesAtMeasure;
            _recording = false;
        }
    }

    private void StartRound(int round)
    {
        _round = round;
        for (var j = 0; j < _conns.Length; j++)
        {
            ref var c = ref _conns[j];
            if (c.State == State.Open)
            {
                c.SendTarget++;
                Flush(ref c);
            }
        }
    }

    // Once every millisecond or ten: connect timeouts, and the counts the coordinator waits on.
    private void Scan(long now, BenchPhase phase)
    {
        var awaiting = 0;
        var echoOk = 0;
        var active = 0;
        for (var j = 0; j < _conns.Length; j++)
        {
            ref var c = ref _conns[j];
            if (c.State == State.Connecting && now - c.ConnectStarted > _connectTimeoutTicks)
            {
                ConnectFailed(ref c, $"connect() timed out after {_options.ConnectTimeoutSeconds:0.#} s");
                continue;
            }

            if (c.State != State.Open)
            {
                continue;
            }

            var unanswered = c.RecvPos < c.SendTarget;
            if (unanswered)
            {
                awaiting++;
            }
            else if (c.RecvPos >= _round)
            {
                echoOk++;
            }

            if (unanswered || c.SendTarget + _size <= _limitBytes)
            {
                active++;
            }
        }

        Volatile.Write(ref Awaiting, awaiting);
        Volatile.Write(ref EchoOk, echoOk);
        Volatile.Write(ref Active, active + _pending + (_conns.Length - _nextToOpen) + _retryCount);
        Volatile.Write(ref ScannedRound, _round);
        Volatile.Write(ref ScannedPhase, (int)phase);
    }

    private void CountUnanswered()
    {
        for (var j = 0; j < _conns.Length; j++)
        {
            ref var c = ref _conns[j];
            if (c.State == State.Open && c.RecvPos < c.SendTarget)
            {
                Errors.Timeout++;
                Errors.Note($"a connection still waited for {c.SendTarget - c.RecvPos} echoed bytes when the run ended");
            }
        }
    }

    private void CloseAll()
    {
        for (var j = 0; j < _conns.Length; j++)
        {
            ref var c = ref _conns[j];
            if (c.Fd >= 0)
            {
                if (_ring is not null)
                {
                    // A shut-down socket's recv completes empty: nothing writes into the ring's buffers after this.
                    LinuxSockets.Shutdown(c.Fd, LinuxSockets.SHUT_RDWR);
                }

                LinuxSockets.Close(c.Fd);
                c.Fd = -1;
            }
        }
    }

    /// <summary>Records the start of the run, for the connect rate.</summary>
    public void MarkStart(long ticks) => _startTicks = ticks;

    public void Dispose()
    {
        CloseAll();
        if (_epfd >= 0)
        {
            LinuxSockets.Close(_epfd);
            _epfd = -1;
        }

        NativeMemory.Free(_recvBuffer);
        _recvBuffer = null;
        NativeMemory.Free(_events);
        _events = null;
    }
}
