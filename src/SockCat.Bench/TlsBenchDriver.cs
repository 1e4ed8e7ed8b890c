using System.Diagnostics;
using System.Net;
using System.Net.Security;
using System.Net.Sockets;
using System.Security.Authentication;
using SockCat.Endpoints;

namespace SockCat.Bench;

/// <summary>
/// The load generator for tls:// (<see cref="BenchIo.Tls"/>), and for tcp:// and unix:// with <c>--io async</c>
/// (<see cref="BenchIo.Async"/>): .NET's async sockets, one <see cref="SslStream"/> per connection on tls://, each
/// connection a reader and a writer (<see cref="TlsBenchConnection"/>) on the thread pool. A raw epoll loop cannot
/// speak TLS; the plain variant exists so that the cost of TLS can be read from one driver with and without it.
/// Same work, checks, phases, histogram and result as <see cref="BenchLoop"/>: pingpong and stream, every echoed byte
/// verified against <see cref="BenchPattern"/>.
/// </summary>
internal sealed class TlsBenchDriver
{
    /// <summary>A copy of the pattern table as an array, for <see cref="Stream.WriteAsync(ReadOnlyMemory{byte}, CancellationToken)"/>.</summary>
    public static readonly byte[] Pattern = BenchPattern.Table.ToArray();

    private readonly TlsBenchConnection[] _conns;
    private readonly ThreadLocal<LatencyHistogram> _histograms = new(() => new LatencyHistogram(), trackAllValues: true);
    private readonly BenchErrors _errors = new();
    private readonly Lock _errorsLock = new();
    private int _connected;
    private int _connectFinished;
    private int _connectErrors;
    private long _lastConnectTicks;
    private string? _protocol;
    private string? _cipher;

    private TlsBenchDriver(BenchOptions options)
    {
        Options = options;
        LimitBytes = options.MessageCount is { } n ? n * options.MessageSize : long.MaxValue;
        if (options.Url.Scheme == EndpointScheme.Tls)
        {
            Tls = new SslClientAuthenticationOptions
            {
                TargetHost = options.Url.Host,
                EnabledSslProtocols = SslProtocols.Tls12 | SslProtocols.Tls13,
                // Any certificate is accepted: bench measures loopback echo servers, which on tls:// typically present
                // a self-signed certificate made at their start (`sockcat serve echo tls://...` does), and it sends
                // only the public test pattern, so there is nothing for an impostor to read or change unseen (every
                // echoed byte is verified anyway). The handshake's cost is the same either way.
                RemoteCertificateValidationCallback = static (_, _, _, _) => true,
            };
        }

        _conns = new TlsBenchConnection[options.Connections];
        for (var i = 0; i < _conns.Length; i++)
        {
            _conns[i] = new TlsBenchConnection(this, i);
        }
    }

    public BenchOptions Options { get; }

    public BenchControl Control { get; } = new();

    /// <summary>The client's TLS settings; null for plain tcp:// and unix://.</summary>
    public SslClientAuthenticationOptions? Tls { get; }

    public long LimitBytes { get; }

    public double NsPerTick { get; } = 1e9 / Stopwatch.Frequency;

    /// <summary>The calling thread's histogram: the readers run on the thread pool, and each thread records into its own.</summary>
    public LatencyHistogram Histogram => _histograms.Value!;

    public static async Task<BenchResult> RunAsync(BenchOptions options, Action<BenchProgress>? progress, CancellationToken cancellationToken)
    {
        // Through a proxy, the sockets connect to the proxy, which is asked for the target by name.
        var target = options.Proxy is { } proxy
            ? new IPEndPoint(await LoadGenerator.ResolveHostAsync(proxy.Host, cancellationToken).ConfigureAwait(false), proxy.Port)
            : await ResolveAsync(options.Url, cancellationToken).ConfigureAwait(false);
        if (options.Sources.Any(s => s.AddressFamily != target.AddressFamily))
        {
            throw new ArgumentException("the --source addresses must be of the same family (IPv4 or IPv6) as the target", nameof(options));
        }

        return await new TlsBenchDriver(options).RunAsync(target, progress, cancellationToken).ConfigureAwait(false);
    }

    private async Task<BenchResult> RunAsync(EndPoint target, Action<BenchProgress>? progress, CancellationToken cancellationToken)
    {
        var options = Options;
        var cpuStart = Process.GetCurrentProcess().TotalProcessorTime;
        var gcStart = GC.CollectionCount(0) + GC.CollectionCount(1) + GC.CollectionCount(2);
        var start = Stopwatch.GetTimestamp();
        if (options.WarmupSeconds == 0)
        {
            Control.Phase = BenchPhase.Measure;
        }

        using var exit = new CancellationTokenSource();
        var tasks = new List<Task>(_conns.Length);
        var opener = OpenAllAsync(target, start, tasks, exit.Token);
        // Every connection gone (refused, failed, closed by the server): nothing more can happen.
        var coordinator = new BenchCoordinator(
            options.Connections, progress, Counters,
            () => Volatile.Read(ref _connectFinished) >= _conns.Length && Volatile.Read(ref _connected) <= 0);
        long measureStart = 0, measureEnd = 0;
        try
        {
            var connectCap = options.ConnectTimeoutSeconds + 30 + (options.ConnectRate > 0 ? (double)options.Connections / options.ConnectRate : 0);
            await coordinator.WaitAsync("connect", () => Volatile.Read(ref _connectFinished) >= options.Connections, connectCap, cancellationToken).ConfigureAwait(false);
            if (Control.Phase != BenchPhase.Measure)
            {
                await coordinator.WaitAsync("warm-up", null, options.WarmupSeconds, cancellationToken).ConfigureAwait(false);
                // Stopped during warm-up (Ctrl+C): nothing is measured, rather than the echoes of the drain in no time.
                Control.Phase = cancellationToken.IsCancellationRequested ? BenchPhase.Stop : BenchPhase.Measure;
            }

            var measuring = Control.Phase == BenchPhase.Measure;
            measureStart = Stopwatch.GetTimestamp();
            await coordinator.WaitAsync(
                "measure",
                options.MessageCount is null ? null : () => _conns.All(c => !c.IsOpen || (Volatile.Read(ref c.RecvPos) >= Volatile.Read(ref c.SendTarget) && Volatile.Read(ref c.SendTarget) + options.MessageSize > LimitBytes)),
                options.DurationSeconds ?? double.MaxValue / 2,
                cancellationToken).ConfigureAwait(false);
            measureEnd = measuring ? Stopwatch.GetTimestamp() : measureStart;
            Control.Phase = BenchPhase.Stop;
            await coordinator.WaitAsync(
                "drain",
                () => _conns.All(c => !c.IsOpen || Volatile.Read(ref c.RecvPos) >= Volatile.Read(ref c.SendTarget)),
                options.DrainSeconds,
                CancellationToken.None).ConfigureAwait(false);
        }
        finally
        {
            Control.Phase = BenchPhase.Exit;
            exit.Cancel();
            await opener.ConfigureAwait(false);
            foreach (var c in _conns)
            {
                c.Close();
            }

            // Every loop ends on its closed socket; the bound only guards against a runtime that would not wake one.
            await Task.WhenAll(tasks).WaitAsync(TimeSpan.FromSeconds(30), CancellationToken.None).ConfigureAwait(false);
        }

        var wall = Stopwatch.GetElapsedTime(start);
        var cpu = Process.GetCurrentProcess().TotalProcessorTime - cpuStart;
        var gcs = GC.CollectionCount(0) + GC.CollectionCount(1) + GC.CollectionCount(2) - gcStart;
        var histogram = new LatencyHistogram();
        foreach (var h in _histograms.Values)
        {
            histogram.Add(h);
        }

        _histograms.Dispose();
        long messages = 0, bytes = 0;
        foreach (var c in _conns)
        {
            messages += c.MeasuredMessages;
            bytes += c.MeasuredBytes;
        }

        return new BenchResult
        {
            Options = options,
            Seconds = measureEnd > measureStart ? (double)(measureEnd - measureStart) / Stopwatch.Frequency : 0,
            Messages = messages,
            Bytes = bytes,
            Latency = histogram,
            Errors = _errors,
            Connected = _connectFinished - _connectErrors,
            ConnectSeconds = _lastConnectTicks > start ? (double)(_lastConnectTicks - start) / Stopwatch.Frequency : 0,
            ClientCpuSeconds = cpu.TotalSeconds,
            ClientWallSeconds = wall.TotalSeconds,
            ClientGcCount = gcs,
            Io = Tls is null ? BenchIo.Async : BenchIo.Tls,
            TlsProtocol = _protocol,
            TlsCipher = _cipher,
        };
    }

    // Starts the connections, at most --burst connecting at once and at most --rate per second; each then runs on its
    // own. The semaphore is not disposed: connections still connecting release it after this returns.
    private async Task OpenAllAsync(EndPoint target, long start, List<Task> tasks, CancellationToken exit)
    {
        var slots = new SemaphoreSlim(Math.Max(1, Options.ConnectBurst));
        try
        {
            for (var i = 0; i < _conns.Length; i++)
            {
                await slots.WaitAsync(exit).ConfigureAwait(false);
                if (Options.ConnectRate > 0)
                {
                    var due = ((double)i / Options.ConnectRate) - Stopwatch.GetElapsedTime(start).TotalSeconds;
                    if (due > 0)
                    {
                        await Task.Delay(TimeSpan.FromSeconds(due), exit).ConfigureAwait(false);
                    }
                }

                var source = Options.Sources.Count > 0 ? Options.Sources[i % Options.Sources.Count] : null;
                tasks.Add(_conns[i].RunAsync(target, source, slots, exit));
            }
        }
        catch (OperationCanceledException)
        {
            // The run ended before every connection was started; those never started are not counted as connected.
        }
    }

    public void OnHandshake(SslStream ssl)
    {
        if (_protocol is null)
        {
            lock (_errorsLock)
            {
                _protocol ??= ssl.SslProtocol switch
                {
                    SslProtocols.Tls13 => "TLSv1.3",
                    SslProtocols.Tls12 => "TLSv1.2",
                    var p => p.ToString(),
                };
                _cipher ??= ssl.NegotiatedCipherSuite.ToString();
            }
        }
    }

    public void OnConnected()
    {
        Interlocked.Increment(ref _connected);
        Interlocked.Increment(ref _connectFinished);
        var now = Stopwatch.GetTimestamp();
        long last;
        while ((last = Volatile.Read(ref _lastConnectTicks)) < now && Interlocked.CompareExchange(ref _lastConnectTicks, now, last) != last)
        {
        }
    }

    public void OnConnectFailed(string message)
    {
        lock (_errorsLock)
        {
            _errors.Connect++;
            _errors.Note(message);
            _connectErrors++;
        }

        Interlocked.Increment(ref _connectFinished);
    }

    public void OnFailed(string message, bool verify)
    {
        lock (_errorsLock)
        {
            if (verify)
            {
                _errors.Verify++;
            }
            else
            {
                _errors.Closed++;
            }

            _errors.Note(message);
        }

        Interlocked.Decrement(ref _connected);
    }

    public void OnUnanswered(long missing)
    {
        lock (_errorsLock)
        {
            _errors.Timeout++;
            _errors.Note($"a connection still waited for {missing} echoed bytes when the run ended");
        }
    }

    private BenchCounters Counters()
    {
        long messages = 0, bytes = 0, errors;
        foreach (var c in _conns)
        {
            messages += Volatile.Read(ref c.Messages);
            bytes += Volatile.Read(ref c.Bytes);
        }

        lock (_errorsLock)
        {
            errors = _errors.Total;
        }

        return new BenchCounters(messages, bytes, errors, Volatile.Read(ref _connected));
    }

    private static async Task<EndPoint> ResolveAsync(EndpointUrl url, CancellationToken cancellationToken)
    {
        if (url.Scheme == EndpointScheme.Unix)
        {
            return new UnixDomainSocketEndPoint(url.Path);
        }

        return new IPEndPoint(await LoadGenerator.ResolveHostAsync(url.Host, cancellationToken).ConfigureAwait(false), url.Port);
    }
}
