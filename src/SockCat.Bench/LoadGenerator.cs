using System.Diagnostics;
using System.Net;
using System.Net.Sockets;
using SockCat.Endpoints;
using SockCat.Internal.Interop;

using SockCat.Server;

namespace SockCat.Bench;

/// <summary>A snapshot of a running benchmark, handed to the progress callback once a second.</summary>
public readonly record struct BenchProgress(
    TimeSpan Elapsed, string Phase, int Connected, int Connections, double MessagesPerSecond, double MegabytesPerSecond, long Errors);

/// <summary>
/// Runs one benchmark: starts the loop threads (<see cref="BenchLoop"/>), steps them through connect, warm-up,
/// measure and drain (or, for conns, connect, check, hold, check), and merges what they measured. tls:// (and
/// <c>--io async</c>) runs on <see cref="TlsBenchDriver"/> instead, through the same phases.
/// </summary>
public static class LoadGenerator
{
    /// <exception cref="ArgumentException">The options are not valid (<see cref="BenchOptions.Validate"/>).</exception>
    /// <exception cref="SocketException">The target's host name does not resolve.</exception>
    /// <exception cref="PlatformNotSupportedException">Not Linux on x86-64, or io_uring asked for where the kernel has none.</exception>
    public static async Task<BenchResult> RunAsync(BenchOptions options, Action<BenchProgress>? progress, CancellationToken cancellationToken)
    {
        if (!LinuxSockets.IsSupported)
        {
            throw new PlatformNotSupportedException("sockcat bench runs its own epoll loop and needs Linux on x86-64");
        }

        if (options.Validate() is { } problem)
        {
            throw new ArgumentException(problem, nameof(options));
        }

        if (options.Mode == BenchMode.Broadcast)
        {
            RaiseFileLimit();
            return await BroadcastDriver.RunAsync(options, progress, cancellationToken).ConfigureAwait(false);
        }

        if (options.Mode == BenchMode.Chat)
        {
            RaiseFileLimit();
            return await ChatDriver.RunAsync(options, progress, cancellationToken).ConfigureAwait(false);
        }

        // Through a proxy each connection has a handshake before its first message: the async driver runs it.
        if (options.Url.Scheme == EndpointScheme.Tls || options.Io is BenchIo.Async or BenchIo.Tls || options.Proxy is not null)
        {
            RaiseFileLimit();
            return await TlsBenchDriver.RunAsync(options, progress, cancellationToken).ConfigureAwait(false);
        }

        var target = await ResolveAsync(options.Url, cancellationToken).ConfigureAwait(false);
        var sources = options.Sources.Select(a => SocketAddressBytes.FromIp(a, 0)).ToArray();
        if (sources.Any(s => s.Family != target.Family))
        {
            throw new ArgumentException("the --source addresses must be of the same family (IPv4 or IPv6) as the target", nameof(options));
        }

        RaiseFileLimit();
        // Stream stays on epoll unless asked: there a send waits a loop turn for the previous one's completion, and
        // measured 3-10% below epoll (docs/performance.md); pingpong is where io_uring wins.
        var io = options.Io ?? (options.Mode == BenchMode.PingPong && UringRing.IsAvailable ? BenchIo.Uring : BenchIo.Epoll);
        if (io == BenchIo.Uring && !UringRing.IsAvailable)
        {
            throw new PlatformNotSupportedException("io_uring is not available on this system (it needs Linux 6.1 or later and kernel.io_uring_disabled = 0); use --io epoll");
        }

        var control = new BenchControl();
        var loops = new BenchLoop[Math.Min(options.Threads, options.Connections)];
        var threads = new Thread[loops.Length];
        var failures = new Exception?[loops.Length];
        var run = new Run(options, control, loops, progress);
        long? rssBefore = options.ServerPid is { } pid ? ServerMemory.ReadTreeRssKb(pid) : null;

        var cpuStart = Process.GetCurrentProcess().TotalProcessorTime;
        var gcStart = GC.CollectionCount(0) + GC.CollectionCount(1) + GC.CollectionCount(2);
        var start = Stopwatch.GetTimestamp();
        if (options.Mode != BenchMode.Conns && options.WarmupSeconds == 0)
        {
            control.Phase = BenchPhase.Measure;
        }

        for (var i = 0; i < loops.Length; i++)
        {
            var loop = loops[i] = new BenchLoop(options with { Threads = loops.Length, Io = io }, control, target, sources, i);
            loop.MarkStart(start);
            var index = i;
            threads[i] = new Thread(() =>
            {
                try
                {
                    loop.Run();
                }
                catch (Exception e)
                {
                    failures[index] = e;
                }
            })
            { IsBackground = true, Name = $"sockcat-bench-{i}" };
            threads[i].Start();
        }

        long measureStart = 0, measureEnd = 0;
        int echoFirst = 0, echoLast = 0;
        long? rssAfter = null;
        try
        {
            var connectCap = options.ConnectTimeoutSeconds + 30 + (options.ConnectRate > 0 ? (double)options.Connections / options.ConnectRate : 0);
            await run.WaitAsync("connect", () => run.Sum(l => Volatile.Read(ref l.ConnectFinished)) >= options.Connections || run.AnyExited, connectCap, cancellationToken).ConfigureAwait(false);

            if (options.Mode == BenchMode.Conns)
            {
                echoFirst = await run.CheckAsync(1, cancellationToken).ConfigureAwait(false);
                if (options.HoldSeconds > 0)
                {
                    await run.WaitAsync("hold", null, options.HoldSeconds, cancellationToken).ConfigureAwait(false);
                }

                rssAfter = options.ServerPid is { } p ? ServerMemory.ReadTreeRssKb(p) : null;
                echoLast = await run.CheckAsync(2, cancellationToken).ConfigureAwait(false);
            }
            else
            {
                if (control.Phase != BenchPhase.Measure)
                {
                    await run.WaitAsync("warm-up", null, options.WarmupSeconds, cancellationToken).ConfigureAwait(false);
                    // Stopped during warm-up (Ctrl+C): nothing is measured, rather than the echoes of the drain in no time.
                    control.Phase = cancellationToken.IsCancellationRequested ? BenchPhase.Stop : BenchPhase.Measure;
                }

                var measuring = control.Phase == BenchPhase.Measure;
                measureStart = Stopwatch.GetTimestamp();
                var duration = options.DurationSeconds ?? double.MaxValue / 2;
                await run.WaitAsync(
                    "measure",
                    options.MessageCount is null ? null : () => run.All(l => Volatile.Read(ref l.ScannedPhase) == (int)BenchPhase.Measure && Volatile.Read(ref l.Active) == 0),
                    duration,
                    cancellationToken).ConfigureAwait(false);
                measureEnd = measuring ? Stopwatch.GetTimestamp() : measureStart;
                control.Phase = BenchPhase.Stop;
                await run.WaitAsync(
                    "drain",
                    () => run.All(l => Volatile.Read(ref l.ScannedPhase) == (int)BenchPhase.Stop && Volatile.Read(ref l.Awaiting) == 0),
                    options.DrainSeconds,
                    CancellationToken.None).ConfigureAwait(false);
            }
        }
        finally
        {
            control.Phase = BenchPhase.Exit;
            foreach (var t in threads)
            {
                t?.Join();
            }
        }

        var wall = Stopwatch.GetElapsedTime(start);
        var cpu = Process.GetCurrentProcess().TotalProcessorTime - cpuStart;
        var gcs = GC.CollectionCount(0) + GC.CollectionCount(1) + GC.CollectionCount(2) - gcStart;
        foreach (var e in failures)
        {
            if (e is not null)
            {
                throw new InvalidOperationException($"a load-generator thread failed: {e.Message}", e);
            }
        }

        var histogram = new LatencyHistogram();
        var errors = new BenchErrors();
        long messages = 0, bytes = 0, lastConnect = 0;
        var connected = 0;
        foreach (var l in loops)
        {
            histogram.Add(l.Histogram);
            errors.Add(l.Errors);
            messages += l.MeasuredMessages;
            bytes += l.MeasuredBytes;
            connected += l.ConnectFinished - (int)l.Errors.Connect;
            lastConnect = Math.Max(lastConnect, l.LastConnectTicks);
            l.Dispose();
        }

        return new BenchResult
        {
            Options = options,
            Seconds = measureEnd > measureStart ? (double)(measureEnd - measureStart) / Stopwatch.Frequency : 0,
            Messages = messages,
            Bytes = bytes,
            Latency = histogram,
            Errors = errors,
            Connected = connected,
            ConnectSeconds = lastConnect > start ? (double)(lastConnect - start) / Stopwatch.Frequency : 0,
            EchoOkFirst = echoFirst,
            EchoOkLast = echoLast,
            ServerRssBeforeKb = rssBefore,
            ServerRssAfterKb = rssAfter,
            ClientCpuSeconds = cpu.TotalSeconds,
            ClientWallSeconds = wall.TotalSeconds,
            ClientGcCount = gcs,
            Io = loops.Any(l => l.RanRing) ? BenchIo.Uring : BenchIo.Epoll,
        };
    }

    private static async Task<SocketAddressBytes> ResolveAsync(EndpointUrl url, CancellationToken cancellationToken)
    {
        if (url.Scheme == EndpointScheme.Unix)
        {
            return SocketAddressBytes.FromUnixPath(url.Path);
        }

        return SocketAddressBytes.FromIp(await ResolveHostAsync(url.Host, cancellationToken).ConfigureAwait(false), url.Port);
    }

    /// <summary>The target host's address for both drivers: a literal as it is, a name's first IPv4 address, else its first.</summary>
    internal static async Task<IPAddress> ResolveHostAsync(string host, CancellationToken cancellationToken)
    {
        if (IPAddress.TryParse(host, out var address))
        {
            return address;
        }

        var all = await Dns.GetHostAddressesAsync(host, cancellationToken).ConfigureAwait(false);
        return all.FirstOrDefault(a => a.AddressFamily == AddressFamily.InterNetwork) ?? all.First();
    }

    /// <summary>Raises this process's open-file limit to its hard limit; returns the soft limit in force after.</summary>
    public static ulong RaiseFileLimit() => OpenFileLimit.RaiseToHardLimit() is { After: var after } ? (ulong)after : 0;

    // The coordinator's view of the loops: waits, sums, and the progress line.
    private sealed class Run
    {
        private readonly BenchOptions _options;
        private readonly BenchControl _control;
        private readonly BenchLoop[] _loops;
        private readonly BenchCoordinator _coordinator;

        public Run(BenchOptions options, BenchControl control, BenchLoop[] loops, Action<BenchProgress>? progress)
        {
            _options = options;
            _control = control;
            _loops = loops;
            // A failed loop, or every connect finished with no connection up (all refused, or all closed by the server):
            // nothing more can happen, so the waits end early instead of running a warm-up and a measurement on nothing.
            _coordinator = new BenchCoordinator(options.Connections, progress, Counters, () => AnyExited || NobodyLeft);
        }

        public bool AnyExited => _loops.Any(l => l.Exited);

        private bool NobodyLeft =>
            Sum(l => Volatile.Read(ref l.ConnectFinished)) >= _options.Connections && Sum(l => Volatile.Read(ref l.Connected)) <= 0;

        public int Sum(Func<BenchLoop, int> f) => _loops.Sum(f);

        public bool All(Func<BenchLoop, bool> f) => _loops.All(f);

        /// <summary>Waits until <paramref name="done"/> (null: nothing but the time), the deadline, cancellation or a failed loop.</summary>
        public Task WaitAsync(string phase, Func<bool>? done, double seconds, CancellationToken cancellationToken) =>
            _coordinator.WaitAsync(phase, done, seconds, cancellationToken);

        public async Task<int> CheckAsync(int round, CancellationToken cancellationToken)
        {
            _control.CheckRound = round;
            await WaitAsync(
                $"check {round}",
                () => All(l => Volatile.Read(ref l.ScannedRound) == round && Volatile.Read(ref l.Awaiting) == 0),
                _options.ConnectTimeoutSeconds,
                cancellationToken).ConfigureAwait(false);
            return Sum(l => Volatile.Read(ref l.EchoOk));
        }

        private BenchCounters Counters()
        {
            long messages = 0, bytes = 0, errors = 0;
            foreach (var l in _loops)
            {
                messages += Volatile.Read(ref l.Messages);
                bytes += Volatile.Read(ref l.Bytes);
                errors += Volatile.Read(ref l.Errors.Connect) + Volatile.Read(ref l.Errors.Closed)
                    + Volatile.Read(ref l.Errors.Verify) + Volatile.Read(ref l.Errors.Timeout);
            }

            return new BenchCounters(messages, bytes, errors, Sum(l => Volatile.Read(ref l.Connected)));
        }
    }
}
