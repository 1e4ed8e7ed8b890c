using System.Diagnostics;

namespace SockCat.Bench;

/// <summary>The counters a driver sums across its loops or connections for the progress line.</summary>
internal readonly record struct BenchCounters(long Messages, long Bytes, long Errors, int Connected);

/// <summary>
/// What both drivers' coordinators share (<see cref="LoadGenerator"/>'s loops, <see cref="TlsBenchDriver"/>'s
/// connections): waiting out a phase, and the once-a-second progress line.
/// </summary>
/// <param name="connections">The connections asked for, for the progress line.</param>
/// <param name="progress">Where the progress line goes; null for none.</param>
/// <param name="read">Sums the driver's counters (once a second at most).</param>
/// <param name="over">True when nothing more can happen (a loop failed, every connection is gone): waits end early.</param>
internal sealed class BenchCoordinator(int connections, Action<BenchProgress>? progress, Func<BenchCounters> read, Func<bool> over)
{
    // The coordinator wakes rarely: each wake-up is a thread-pool worker that spins (sched_yield) before it sleeps
    // again, which on two shared cores takes turns from the loop thread and the server. Waiting on a condition polls
    // every 50 ms; waiting out a phase wakes once a second, for the progress line and to notice a failed loop.
    private const int PollMs = 50;
    private const int IdlePollMs = 1000;

    private readonly long _start = Stopwatch.GetTimestamp();
    private long _lastReport = Stopwatch.GetTimestamp();
    private long _lastMessages;
    private long _lastBytes;

    /// <summary>Waits until <paramref name="done"/> (null: nothing but the time), the deadline, cancellation or <c>over</c>.</summary>
    public async Task WaitAsync(string phase, Func<bool>? done, double seconds, CancellationToken cancellationToken)
    {
        var deadline = Stopwatch.GetTimestamp() + (long)(Math.Min(seconds, 1e7) * Stopwatch.Frequency);
        var poll = done is null ? IdlePollMs : PollMs;
        while (!(done?.Invoke() ?? false) && Stopwatch.GetTimestamp() < deadline && !cancellationToken.IsCancellationRequested && !over())
        {
            try
            {
                var left = (deadline - Stopwatch.GetTimestamp()) * 1000 / Stopwatch.Frequency;
                await Task.Delay((int)Math.Clamp(left, 1, poll), cancellationToken).ConfigureAwait(false);
            }
            catch (OperationCanceledException)
            {
                break;
            }

            Report(phase);
        }
    }

    private void Report(string phase)
    {
        var now = Stopwatch.GetTimestamp();
        var since = (double)(now - _lastReport) / Stopwatch.Frequency;
        if (progress is null || since < 1)
        {
            return;
        }

        var counters = read();
        var dm = counters.Messages - _lastMessages;
        var db = counters.Bytes - _lastBytes;
        _lastMessages = counters.Messages;
        _lastBytes = counters.Bytes;
        _lastReport = now;
        progress(new BenchProgress(
            Stopwatch.GetElapsedTime(_start, now), phase, Math.Max(0, counters.Connected), connections,
            dm / since, db / since / 1e6, counters.Errors));
    }
}
