using System.Diagnostics;
using System.Net;
using System.Net.Sockets;
using System.Runtime.InteropServices;
using System.Text;
using SockCat.Endpoints;
using SockCat.Internal.Interop;

namespace SockCat.Bench;

/// <summary>
/// <c>sockcat bench chat</c>, for chat servers (<c>sockcat serve chat</c>, <c>ncat --chat</c>): connections are spread over
/// <see cref="BenchOptions.Rooms"/> rooms (connection i in room i mod R); every connection sends its own lines, one write
/// each, and every line must reach every other member of its room, once and in its sender's order, whatever the server
/// puts in front of it (<c>[#r0] &lt;b17&gt; </c> or ncat's <c>&lt;user5&gt; </c>); the server's other lines (welcome, join
/// notices) are skipped. A sender keeps <see cref="BenchOptions.Window"/> lines in flight: the next goes when the oldest
/// has reached its whole room. One epoll loop on one thread drives every client; it measures deliveries per second and
/// each delivery's latency from its send. The line format is <see cref="BroadcastDriver"/>'s. With
/// <see cref="BenchOptions.AlsoUrls"/> the users are spread over several nodes of one chat (<see cref="NodeOf"/>).
/// </summary>
/// <remarks>
/// Protocols (<see cref="BenchOptions.ChatProtocol"/>): <c>line</c> sends <c>/nick bN</c> and <c>/join rK</c> first
/// (sockcat's line protocol); <c>ncat</c> sends nothing first (one room, ncat names users itself); <c>irc</c> registers
/// (<c>NICK bN</c>, <c>USER</c>) and joins <c>#rK</c>, sends each line as <c>PRIVMSG #rK :line</c> with CRLF, and reads it
/// back from <c>:bN!… PRIVMSG #rK :line</c> (the same load for <c>serve chat</c> and an IRC server such as ngircd). Before
/// measuring, every client must have received a hello line from another member of its room.
/// </remarks>
internal sealed unsafe class ChatDriver : IDisposable
{
    private const int MaxEvents = 1024;
    private const int ReceiveBufferSize = 256 * 1024;
    private const int MaxLine = 4096;

    private readonly BenchOptions _options;
    private readonly int _lineSize;
    private readonly int _window;
    private readonly int _rooms;
    private readonly List<Client> _clients = [];
    private readonly int _epollFd;
    private readonly byte[] _receive = GC.AllocateUninitializedArray<byte>(ReceiveBufferSize, pinned: true);
    private readonly Queue<Client> _ready = new();
    private int[][] _expected = []; // [receiver][sender's place in the room]: the next seq due
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

    private ChatDriver(BenchOptions options)
    {
        _options = options;
        _lineSize = options.MessageSize;
        _window = options.Window;
        _rooms = options.Rooms;
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
                using var driver = new ChatDriver(options);
                done.TrySetResult(driver.Run(progress, cancellationToken));
            }
            catch (Exception e)
            {
                done.TrySetException(e);
            }
        })
        { IsBackground = true, Name = "sockcat-bench-chat" };
        thread.Start();
        return done.Task;
    }

    /// <summary>Members of room <paramref name="room"/> among <paramref name="connections"/>.</summary>
    private int RoomSize(int room) => _options.Connections / _rooms + (room < _options.Connections % _rooms ? 1 : 0);

    /// <summary>
    /// The server (0 for the URL, then each --also) of connection <paramref name="index"/>: round-robin by its place in its
    /// room, so that with several nodes every room has members on every node and its lines must cross between them.
    /// </summary>
    internal static int NodeOf(int index, int rooms, int nodes) => index / rooms % nodes;

    private BenchResult Run(Action<BenchProgress>? progress, CancellationToken cancellationToken)
    {
        var start = Stopwatch.GetTimestamp();
        var cpuStart = Process.GetCurrentProcess().TotalProcessorTime;
        EndPoint[] endpoints = [Resolve(_options.Url), .. _options.AlsoUrls.Select(Resolve)];
        _expected = new int[_options.Connections][];
        _reached = new int[_options.Connections, _window];

        for (var i = 0; i < _options.Connections && !cancellationToken.IsCancellationRequested; i++)
        {
            _expected[i] = new int[RoomSize(i % _rooms)];
            if (!Connect(endpoints[NodeOf(i, _rooms, endpoints.Length)], i))
            {
                break;
            }

            if (_options.ChatProtocol == "line")
            {
                Send(_clients[i], Encoding.ASCII.GetBytes($"/nick b{i}\n/join r{i % _rooms}\n"));
            }
            else if (_options.ChatProtocol == "irc")
            {
                Send(_clients[i], Encoding.ASCII.GetBytes($"NICK b{i}\r\nUSER b{i} 0 * :bench\r\nJOIN #r{i % _rooms}\r\n"));
            }

            // Read as we go: a server's welcome and join notices must not fill the socket buffers while thousands connect.
            Poll(0);
        }

        // Join: the first two members of each room send hellos (line 0, never checked for order) until every client has
        // heard one (every 100 ms): a client that has received a line is a member before any measured line is sent.
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
                Errors.Note($"{_clients.Count - _hellos} clients had heard no other member of their room {_options.ConnectTimeoutSeconds} s after connecting");
            }

            Poll(5);
        }

        var connectSeconds = Stopwatch.GetElapsedTime(start).TotalSeconds;
        double measured = 0;
        if (Errors.Total == 0 && _clients.Count == _options.Connections)
        {
            foreach (var client in _clients)
            {
                Array.Fill(_expected[client.Index], 1);
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

                if (_options.LinesPerSecondPerUser > 0)
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

            measured = measureEnd > measureStart ? (double)(measureEnd - measureStart) / Stopwatch.Frequency : 0;

            // Drain: every line sent must still reach its whole room; only a stall (nothing arriving for a while) is an error.
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
                    Errors.Note($"{missing} lines had not reached their whole room, and none arrived for {stallSeconds} s");
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
        var client = new Client(index, index % _rooms, index / _rooms, socket, _lineSize);
        if (_options.ChatProtocol == "irc")
        {
            var prefix = Encoding.ASCII.GetBytes($"PRIVMSG #r{client.Room} :");
            client.Wire = new byte[prefix.Length + _lineSize + 1];
            prefix.CopyTo(client.Wire, 0);
            client.WirePrefix = prefix.Length;
        }

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
        var due = (long)(elapsed / (double)Stopwatch.Frequency * _options.LinesPerSecondPerUser * _clients.Count);
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
        BroadcastDriver.Format(client.Line, client.Index, seq, Stopwatch.GetTimestamp());
        if (seq > 0)
        {
            client.InFlight++;
        }

        if (client.Wire is { } wire)
        {
            // IRC: "PRIVMSG #rK :" before the line (already in place in Wire), its LF made CRLF after it.
            client.Line.AsSpan(0, _lineSize - 1).CopyTo(wire.AsSpan(client.WirePrefix));
            wire[^2] = (byte)'\r';
            wire[^1] = (byte)'\n';
            Send(client, wire);
            return;
        }

        Send(client, client.Line);
    }

    private void Send(Client client, ReadOnlySpan<byte> bytes)
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

            // The server is not reading this client: it is a chat server's business to read, so count it and stop.
            Fail(client, $"send would block (the server took {Math.Max(0, n)} of {bytes.Length} bytes)");
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
            int end;
            while ((end = data.IndexOf((byte)'\n')) >= 0)
            {
                if (client.Discarding)
                {
                    // The end of a long line of the server's own (ncat's list of who is connected): not a sender's line.
                    client.Discarding = false;
                }
                else if (end > 0 && data[end - 1] == (byte)'\r')
                {
                    // CRLF (IRC): the line as sent ended with LF alone.
                    data[end - 1] = (byte)'\n';
                    if (!OnLine(client, data[..end], now))
                    {
                        return;
                    }
                }
                else if (!OnLine(client, data[..(end + 1)], now))
                {
                    return;
                }

                data = data[(end + 1)..];
            }

            if (data.Length > MaxLine || client.Discarding)
            {
                client.Discarding = true;
                data = default;
            }

            data.CopyTo(client.Partial);
            client.PartialLength = data.Length;
        }
    }

    private bool OnLine(Client receiver, ReadOnlySpan<byte> line, long now)
    {
        // The sender's line is the end of what arrives; the server's prefix, and its own lines, are not ours to check.
        if (line.Length < _lineSize || !BroadcastDriver.TryParse(line[^_lineSize..], out var sender, out var seq, out var sentAt))
        {
            return true;
        }

        if (sender == receiver.Index || sender >= _clients.Count || sender % _rooms != receiver.Room)
        {
            Errors.Verify++;
            Errors.Note($"client {receiver.Index} (room {receiver.Room}) received a line of client {sender}, which is {(sender == receiver.Index ? "itself" : "not in its room")}");
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

        var place = sender / _rooms;
        if (seq != _expected[receiver.Index][place])
        {
            Errors.Verify++;
            Errors.Note($"client {receiver.Index} received line {seq} of client {sender} where {_expected[receiver.Index][place]} was due (a line lost, doubled or reordered)");
            return false;
        }

        _expected[receiver.Index][place] = (int)seq + 1;
        _arrivals++;
        if (_measuring)
        {
            Deliveries++;
            DeliveredBytes += line.Length;
            Histogram.Record((long)((now - sentAt) * (1e9 / Stopwatch.Frequency)));
        }

        var slot = (int)(seq % _window);
        if (++_reached[sender, slot] == RoomSize(receiver.Room) - 1)
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

    public void Dispose()
    {
        foreach (var client in _clients)
        {
            client.Socket.Dispose();
        }

        LinuxSockets.Close(_epollFd);
    }

    private sealed class Client(int index, int room, int place, Socket socket, int lineSize)
    {
        public readonly int Index = index;
        public readonly int Room = room;
        public readonly int Place = place;
        public readonly Socket Socket = socket;
        public readonly int Fd = (int)socket.Handle;
        public readonly byte[] Line = new byte[lineSize];
        public byte[]? Wire;
        public int WirePrefix;
        public readonly byte[] Partial = new byte[MaxLine + 1];
        public int PartialLength;
        public int InFlight;
        public long NextSeq;
        public bool Queued;
        public bool Joined;
        public bool Discarding;
    }
}
