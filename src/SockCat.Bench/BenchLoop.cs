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

    // Opens connections while the rate and burst allow; true when more are waiting on the rate.
    private bool OpenMore()
    {
        if (_nextToOpen >= _conns.Length && _retryCount == 0)
        {
            return false;
        }

        var burstPerLoop = Math.Max(1, _options.ConnectBurst / _threads);
        var now = Stopwatch.GetTimestamp();
        long allowed = int.MaxValue;
        if (_options.ConnectRate > 0)
        {
            var ratePerLoop = Math.Max(1.0, (double)_options.ConnectRate / _threads);
            allowed = (long)(ratePerLoop * Stopwatch.GetElapsedTime(_startTicks, now).TotalSeconds) + 1 - _opened;
        }

        while (_pending < burstPerLoop && allowed > 0)
        {
            int j;
            if (_retryCount > 0)
            {
                j = _retry[_retryHead];
                _retryHead = (_retryHead + 1) % _retry.Length;
                _retryCount--;
            }
            else if (_nextToOpen < _conns.Length)
            {
                j = _nextToOpen++;
            }
            else
            {
                break;
            }

            allowed--;
            _opened++;
            if (!Open(j, now))
            {
                // The server's backlog is full (a unix socket says EAGAIN): try again on the next turn.
                break;
            }
        }

        return _nextToOpen < _conns.Length || _retryCount > 0;
    }

    private long _startTicks = Stopwatch.GetTimestamp();

    private bool Open(int j, long now)
    {
        ref var c = ref _conns[j];
        var fd = LinuxSockets.Socket(_target.Family, LinuxSockets.SOCK_STREAM | LinuxSockets.SOCK_NONBLOCK | LinuxSockets.SOCK_CLOEXEC, 0);
        if (fd < 0)
        {
            var errno = LinuxSockets.LastError;
            var hint = errno is LinuxSockets.EMFILE or LinuxSockets.ENFILE ? "; raise the open-file limit (ulimit -n) or use fewer connections" : "";
            ConnectFailed(ref c, $"socket() failed: {Marshal.GetPInvokeErrorMessage(errno)}{hint}");
            return true;
        }

        c.Fd = fd;
        if (_target.Family != LinuxSockets.AF_UNIX)
        {
            LinuxSockets.SetIntOption(fd, LinuxSockets.IPPROTO_TCP, LinuxSockets.TCP_NODELAY, 1);
        }

        if (_sources.Length > 0)
        {
            // Defer the local port choice to connect(), so each source address has its own ~28,000 ephemeral ports.
            LinuxSockets.SetIntOption(fd, IPPROTO_IP, IP_BIND_ADDRESS_NO_PORT, 1);
            var source = _sources[GlobalIndex(j) % _sources.Length].Bytes;
            fixed (byte* s = source)
            {
                if (LinuxSockets.Bind(fd, s, source.Length) != 0)
                {
                    ConnectFailed(ref c, $"bind() to a source address failed: {Marshal.GetPInvokeErrorMessage(LinuxSockets.LastError)}");
                    return true;
                }
            }
        }

        int rc;
        fixed (byte* a = _target.Bytes)
        {
            rc = LinuxSockets.Connect(fd, a, _target.Bytes.Length);
        }

        if (rc == 0)
        {
            c.State = State.Connecting;
            _pending++;
            c.ConnectStarted = now;
            Register(fd, j, LinuxSockets.EPOLLOUT);
            return true;
        }

        var err = LinuxSockets.LastError;
        if (err == LinuxSockets.EINPROGRESS)
        {
            c.State = State.Connecting;
            c.ConnectStarted = now;
            _pending++;
            Register(fd, j, LinuxSockets.EPOLLOUT);
            return true;
        }

        if (err == LinuxSockets.EAGAIN && _target.Family == LinuxSockets.AF_UNIX)
        {
            LinuxSockets.Close(fd);
            c.Fd = -1;
            _retry[(_retryHead + _retryCount) % _retry.Length] = j;
            _retryCount++;
            return false;
        }

        var tip = err == EADDRNOTAVAIL ? "; out of local ports: spread the connections with --sources N" : "";
        ConnectFailed(ref c, $"connect() failed: {Marshal.GetPInvokeErrorMessage(err)}{tip}");
        return true;
    }

    private void Register(int fd, int j, uint events)
    {
        var ev = new LinuxSockets.EpollEvent { Events = events, Data = (ulong)j };
        LinuxSockets.EpollCtl(_epfd, LinuxSockets.EPOLL_CTL_ADD, fd, &ev);
    }

    private void Modify(int fd, int j, uint events)
    {
        var ev = new LinuxSockets.EpollEvent { Events = events, Data = (ulong)j };
        LinuxSockets.EpollCtl(_epfd, LinuxSockets.EPOLL_CTL_MOD, fd, &ev);
    }

    private void OnConnectCompleted(ref Conn c, int j)
    {
        int error = 0;
        var len = sizeof(int);
        if (LinuxSockets.GetSockOpt(c.Fd, LinuxSockets.SOL_SOCKET, LinuxSockets.SO_ERROR, &error, &len) != 0)
        {
            error = LinuxSockets.LastError;
        }

        if (error != 0)
        {
            ConnectFailed(ref c, $"connect() failed: {Marshal.GetPInvokeErrorMessage(error)}");
            return;
        }

        _pending--;
        c.State = State.Open;
        Connected++;
        ConnectFinished++;
        LastConnectTicks = Stopwatch.GetTimestamp();
        Modify(c.Fd, j, LinuxSockets.EPOLLIN);

        if (_options.Mode == BenchMode.PingPong)
        {
            var now = Stopwatch.GetTimestamp();
            for (var k = 0; k < _window; k++)
            {
                IssueMessage(ref c, j, now);
            }
        }
        else if (_options.Mode == BenchMode.Stream)
        {
            Refill(ref c);
        }
        else if (_round > 0)
        {
            // Late to a check round: answer it too, so every held connection is checked.
            c.SendTarget = _round;
        }

        Flush(ref c);
    }

    private void ConnectFailed(ref Conn c, string message)
    {
        if (c.State == State.Connecting)
        {
            _pending--;
        }

        Errors.Connect++;
        Errors.Note(message);
        ConnectFinished++;
        CloseConn(ref c);
    }

    private void Fail(ref Conn c, string message, bool verify)
    {
        if (verify)
        {
            Errors.Verify++;
        }
        else
        {
            Errors.Closed++;
        }

        Errors.Note(message);
        if (c.State == State.Open)
        {
            Connected--;
        }

        CloseConn(ref c);
    }

    private void CloseConn(ref Conn c)
    {
        if (c.Fd >= 0)
        {
            if (_ring is not null)
            {
                // The ring's registered file and its armed recv keep the socket open past close(): shut it down so
                // the server sees the end and the recv completes, and empty the slot.
                LinuxSockets.Shutdown(c.Fd, LinuxSockets.SHUT_RDWR);
                _ring.UnregisterFile(IndexOf(ref c));
            }

            LinuxSockets.Close(c.Fd);
            c.Fd = -1;
        }

        c.State = State.Failed;
    }

    private void IssueMessage(ref Conn c, int j, long now)
    {
        if (_stopping || c.SendTarget + _size > _limitBytes)
        {
            return;
        }

        var index = c.SendTarget / _size;
        _sendTimes[(j * _window) + (int)(index % _window)] = now;
        c.SendTarget += _size;
    }

    private void Refill(ref Conn c)
    {
        if (_stopping)
        {
            return;
        }

        var target = Math.Min(c.RecvPos + _options.InFlightBytes, _limitBytes);
        if (target > c.SendTarget)
        {
            c.SendTarget = target;
        }
    }

    private void Flush(ref Conn c)
    {
        var table = BenchPattern.Pointer;
        while (c.SendPos < c.SendTarget)
        {
            var len = (int)Math.Min(c.SendTarget - c.SendPos, BenchPattern.MaxChunk);
            var start = (int)((c.SendPos + c.Offset) % BenchPattern.Period);
            var sent = LinuxSockets.Send(c.Fd, table + start, len, LinuxSockets.MSG_NOSIGNAL);
            if (sent > 0)
            {
                c.SendPos += sent;
                continue;
            }

            var errno = LinuxSockets.LastError;
            if (errno == LinuxSockets.EINTR)
            {
                continue;
            }

            if (errno == LinuxSockets.EAGAIN)
            {
                if (!c.WantOut)
                {
                    c.WantOut = true;
                    Modify(c.Fd, IndexOf(ref c), LinuxSockets.EPOLLIN | LinuxSockets.EPOLLOUT);
                }

                return;
            }

            Fail(ref c, $"send() failed after {c.SendPos} bytes: {Marshal.GetPInvokeErrorMessage(errno)}", verify: false);
            return;
        }

        if (c.WantOut)
        {
            c.WantOut = false;
            Modify(c.Fd, IndexOf(ref c), LinuxSockets.EPOLLIN);
        }
    }

    private int IndexOf(ref Conn c)
        => (int)(System.Runtime.CompilerServices.Unsafe.ByteOffset(ref _conns[0], ref c) / sizeof(Conn));

    private void OnReadable(ref Conn c, int j)
    {
        var n = LinuxSockets.Recv(c.Fd, _recvBuffer, RecvSize, 0);
        if (n > 0)
        {
            OnData(ref c, j, _recvBuffer, (int)n);
            return;
        }

        if (n == 0)
        {
            Fail(ref c, $"the server closed a connection after echoing {c.RecvPos} of {c.SendPos} bytes", verify: false);
            return;
        }

        var errno = LinuxSockets.LastError;
        if (errno is LinuxSockets.EAGAIN or LinuxSockets.EINTR)
        {
            return;
        }

        Fail(ref c, $"recv() failed after {c.RecvPos} bytes: {Marshal.GetPInvokeErrorMessage(errno)}", verify: false);
    }

    private void OnData(ref Conn c, int j, byte* data, int n)
    {
        var received = new ReadOnlySpan<byte>(data, n);
        var outstanding = c.SendPos + c.SendLen - c.RecvPos;
        if (n > outstanding)
        {
            Fail(ref c, $"the server echoed {n} bytes at position {c.RecvPos} when only {outstanding} were unanswered", verify: true);
            return;
        }

        var expected = BenchPattern.Slice(c.RecvPos, c.Offset, n);
        if (!received.SequenceEqual(expected))
        {
            var at = c.RecvPos + received.CommonPrefixLength(expected);
            Fail(ref c, $"echoed byte {at} of a connection differs from the byte sent", verify: true);
            return;
        }

        c.RecvPos += n;
        Bytes += n;
        if (c.SendSilent && c.RecvPos >= c.SendPos + c.SendLen)
        {
            // Every byte of the silent send came back, so it completed in full.
            c.SendPos += c.SendLen;
            c.SendLen = 0;
            c.SendSilent = false;
        }

        switch (_options.Mode)
        {
            case BenchMode.PingPong:
                var done = c.RecvPos / _size;
                if (done > c.MessagesDone)
                {
                    var now = Stopwatch.GetTimestamp();
                    do
                    {
                        if (_recording)
                        {
                            var sentAt = _sendTimes[(j * _window) + (int)(c.MessagesDone % _window)];
                            Histogram.Record((long)((now - sentAt) * _nsPerTick));
                        }

                        c.MessagesDone++;
                        Messages++;
                        IssueMessage(ref c, j, now);
                    }
                    while (c.MessagesDone < done);

                    Send(ref c, j);
                }

                break;
            case BenchMode.Stream:
                Refill(ref c);
                Send(ref c, j);
                break;
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
