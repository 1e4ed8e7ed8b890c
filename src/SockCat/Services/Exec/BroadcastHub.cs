using System.Buffers;
using System.ComponentModel;
using System.Text;
using System.Threading.Channels;

namespace SockCat.Services.Exec;

/// <summary>
/// Broadcast mode: one program, every viewer sees its output from the moment it joins, after the last lines kept
/// (<see cref="ExecOptions.Scrollback"/>). The program's reader publishes each line to every viewer without waiting
/// for any of them (a viewer that is behind drops lines and is told how many), so a stalled viewer slows neither the
/// others nor the program. With <see cref="ExecOptions.Restart"/> the program is started again when it exits, after
/// a backoff; with <see cref="ExecOptions.BroadcastInput"/> viewers' input goes to its stdin.
/// </summary>
internal sealed class BroadcastHub
{
    private static readonly TimeSpan FirstBackoff = TimeSpan.FromSeconds(1);
    private static readonly TimeSpan LongestBackoff = TimeSpan.FromSeconds(30);
    private static readonly TimeSpan StableRun = TimeSpan.FromSeconds(10);
    private readonly ExecService _service;
    private readonly object _lock = new();
    private readonly List<IExecViewer> _viewers = [];
    private readonly Scrollback _scrollback;
    private readonly Channel<(byte[] Array, int Length, IExecViewer From)> _stdin =
        Channel.CreateUnbounded<(byte[], int, IExecViewer)>(new UnboundedChannelOptions { SingleReader = true });
    private readonly CancellationTokenSource _stop = new();
    private long _sequence;
    private bool _ended;
    private ChildProcess? _child;
    private Task _run = Task.CompletedTask;

    public BroadcastHub(ExecService service)
    {
        _service = service;
        _scrollback = new Scrollback(service.Options.Scrollback);
    }

    /// <summary>The program's exit code once it has ended for good; null while it runs (or will run again).</summary>
    public int? FinalExitCode { get; private set; }

    /// <summary>The number of the last line published; -1 before the first.</summary>
    public long LastSequence
    {
        get
        {
            lock (_lock)
            {
                return _sequence - 1;
            }
        }
    }

    public void Start(IReadOnlyDictionary<string, string> environment) => _run = Task.Run(() => RunAsync(environment));

    /// <summary>
    /// Adds a viewer: it is handed the scrollback above <paramref name="after"/> first, then every new line, in order.
    /// False (and the scrollback delivered, then <see cref="IExecViewer.Ended"/>) when the program has ended for good.
    /// </summary>
    public bool Join(IExecViewer viewer, long after = -1)
    {
        lock (_lock)
        {
            foreach (var line in _scrollback.Since(after))
            {
                viewer.Deliver(line);
            }

            if (_ended)
            {
                viewer.Ended();
                return false;
            }

            _viewers.Add(viewer);
            return true;
        }
    }

    public void Leave(IExecViewer viewer)
    {
        lock (_lock)
        {
            _viewers.Remove(viewer);
        }
    }

    /// <summary>Queues a viewer's bytes for the program's stdin; <see cref="IExecViewer.InputTaken"/> follows.</summary>
    public void Input(IExecViewer from, ReadOnlySpan<byte> data)
    {
        var array = ArrayPool<byte>.Shared.Rent(data.Length);
        data.CopyTo(array);
        if (!_stdin.Writer.TryWrite((array, data.Length, from)))
        {
            ArrayPool<byte>.Shared.Return(array);
            from.InputTaken();
        }
    }

    /// <summary>Stops restarting and ends the program (the server is stopping).</summary>
    public async Task StopAsync()
    {
        await _stop.CancelAsync().ConfigureAwait(false);
        if (Volatile.Read(ref _child) is { } child)
        {
            await child.TerminateAsync(TimeSpan.Zero).ConfigureAwait(false);
        }

        await _run.ConfigureAwait(false);
    }

    private async Task RunAsync(IReadOnlyDictionary<string, string> environment)
    {
        var backoff = FirstBackoff;
        var stdin = Task.CompletedTask;
        while (true)
        {
            ChildProcess child;
            try
            {
                child = ChildProcess.Start(_service.Options, environment);
            }
            catch (Exception e) when (e is Win32Exception or IOException or InvalidOperationException)
            {
                ExecLog.StartFailed(_service.Logger, _service.ProgramName, "broadcast", e.Message);
                End(null);
                return;
            }

            Volatile.Write(ref _child, child);
            ExecLog.Started(_service.Logger, _service.ProgramName, child.Pid, "broadcast");
            var started = DateTime.UtcNow;
            if (!_service.Options.BroadcastInput)
            {
                child.Stdin.Dispose();   // as < /dev/null: a program that reads stdin sees its end, not a wait
            }
            else if (stdin.IsCompleted)
            {
                stdin = PumpStdinAsync();
            }

            var merge = _service.Options.Stderr == ExecStderr.Merge;
            var stdout = ReadLinesAsync(child.Stdout, ExecLineKind.Stdout);
            var stderr = ReadLinesAsync(child.Stderr, merge ? ExecLineKind.Stderr : null);
            var code = await child.Exited.ConfigureAwait(false);
            await child.TerminateAsync(TimeSpan.Zero).ConfigureAwait(false);
            await Task.WhenAll(stdout, stderr).ConfigureAwait(false);
            var outcome = ChildProcess.DescribeExit(code);
            ExecLog.Exited(_service.Logger, child.Pid, "broadcast", outcome);
            child.Dispose();
            var restart = _service.Options.Restart && !_stop.IsCancellationRequested;
            if (!restart)
            {
                End(code);
                _stdin.Writer.TryComplete();
                return;
            }

            backoff = DateTime.UtcNow - started >= StableRun ? FirstBackoff : backoff;
            Publish(ExecLineKind.Exit, Encoding.UTF8.GetBytes($"sockcat: the program {outcome}; restarting in {backoff.TotalSeconds:0.#} s\n"), code);
            ExecLog.Restarting(_service.Logger, _service.ProgramName, backoff.TotalSeconds);
            try
            {
                await Task.Delay(backoff, _stop.Token).ConfigureAwait(false);
            }
            catch (OperationCanceledException)
            {
                End(code);
                return;
            }

            backoff = TimeSpan.FromTicks(Math.Min(backoff.Ticks * 2, LongestBackoff.Ticks));
        }
    }

    private void End(int? code)
    {
        List<IExecViewer> viewers;
        lock (_lock)
        {
            FinalExitCode = code;
            if (code is { } c)
            {
                PublishLocked(ExecLineKind.Exit, Encoding.UTF8.GetBytes($"sockcat: the program {ChildProcess.DescribeExit(c)}\n"), c);
            }

            _ended = true;
            viewers = [.. _viewers];
            _viewers.Clear();
        }

        foreach (var viewer in viewers)
        {
            viewer.Ended();
        }
    }

    /// <summary>Reads lines and publishes them (<paramref name="kind"/> null: logs them instead, stderr not merged).</summary>
    private async Task ReadLinesAsync(Stream source, ExecLineKind? kind)
    {
        var max = _service.Options.MaxLogLineLength;
        var buffer = new byte[Math.Max(max, 1024)];
        var held = 0;
        // The lines of one read go out together: one post per viewer for a burst, not one per line.
        var batch = new List<byte[]>();
        try
        {
            int n;
            while ((n = await source.ReadAsync(buffer.AsMemory(held), CancellationToken.None).ConfigureAwait(false)) > 0)
            {
                held += n;
                var start = 0;
                int newline;
                while ((newline = buffer.AsSpan(start, held - start).IndexOf((byte)'\n')) >= 0)
                {
                    batch.Add(buffer.AsSpan(start, newline + 1).ToArray());
                    start += newline + 1;
                }

                if (start == 0 && held == buffer.Length)
                {
                    batch.Add(buffer.ToArray());   // a line longer than the buffer goes out in pieces
                    start = held;
                }

                Lines(batch, kind);
                buffer.AsSpan(start, held - start).CopyTo(buffer);
                held -= start;
            }
        }
        catch (Exception e) when (e is IOException or ObjectDisposedException)
        {
        }

        if (held > 0)
        {
            batch.Add([.. buffer.AsSpan(0, held), (byte)'\n']);
            Lines(batch, kind);
        }
    }

    private void Lines(List<byte[]> batch, ExecLineKind? kind)
    {
        if (batch.Count == 0)
        {
            return;
        }

        if (kind is { } k)
        {
            lock (_lock)
            {
                var lines = new ExecLine[batch.Count];
                for (var i = 0; i < lines.Length; i++)
                {
                    lines[i] = new ExecLine(_sequence++, k, batch[i], null);
                    _scrollback.Add(lines[i]);
                }

                foreach (var viewer in _viewers)
                {
                    viewer.DeliverBatch(lines);
                }
            }
        }
        else
        {
            foreach (var line in batch)
            {
                ExecLog.Stderr(_service.Logger, "broadcast", Encoding.UTF8.GetString(line.AsSpan().TrimEnd("\r\n"u8)));
            }
        }

        batch.Clear();
    }

    private void Publish(ExecLineKind kind, byte[] bytes, int? code)
    {
        lock (_lock)
        {
            PublishLocked(kind, bytes, code);
        }
    }

    private void PublishLocked(ExecLineKind kind, byte[] bytes, int? code)
    {
        var line = new ExecLine(_sequence++, kind, bytes, code);
        _scrollback.Add(line);
        foreach (var viewer in _viewers)
        {
            viewer.Deliver(line);
        }
    }

    private async Task PumpStdinAsync()
    {
        await foreach (var (array, length, from) in _stdin.Reader.ReadAllAsync().ConfigureAwait(false))
        {
            try
            {
                if (Volatile.Read(ref _child) is { } child)
                {
                    await child.Stdin.WriteAsync(array.AsMemory(0, length)).ConfigureAwait(false);
                    await child.Stdin.FlushAsync().ConfigureAwait(false);
                }
            }
            catch (Exception e) when (e is IOException or ObjectDisposedException)
            {
                // The program exited; input that comes before the next one starts is dropped.
            }
            finally
            {
                ArrayPool<byte>.Shared.Return(array);
                from.InputTaken();
            }
        }
    }
}
