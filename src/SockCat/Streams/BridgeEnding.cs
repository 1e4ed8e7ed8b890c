namespace SockCat.Streams;

/// <summary>
/// How one run of a bridge (<see cref="StreamBridge"/>, <see cref="WebSocketBridge"/>) ends: the first reason wins, and
/// winning cancels <see cref="Stop"/>, on which both directions wait.
/// </summary>
internal sealed class BridgeEnding
{
    private readonly TaskCompletionSource<(StreamBridgeOutcome Outcome, Exception? Error)> _end = new(TaskCreationOptions.RunContinuationsAsynchronously);

    /// <summary>Cancelled once the run has ended: every read and write of the bridge waits on it.</summary>
    public CancellationTokenSource Stop { get; } = new();

    /// <summary>Completes with the first reason given.</summary>
    public Task<(StreamBridgeOutcome Outcome, Exception? Error)> Ended => _end.Task;

    /// <summary>Ends the run with <paramref name="outcome"/> unless it has ended already; true when this was the reason.</summary>
    public bool End(StreamBridgeOutcome outcome, Exception? error = null)
    {
        if (!_end.TrySetResult((outcome, error)))
        {
            return false;
        }

        Stop.Cancel();
        return true;
    }

    /// <summary>Ends the run as <see cref="StreamBridgeOutcome.Cancelled"/> when <paramref name="cancellationToken"/> fires.</summary>
    public CancellationTokenRegistration EndOn(CancellationToken cancellationToken) =>
        cancellationToken.Register(static state => ((BridgeEnding)state!).End(StreamBridgeOutcome.Cancelled), this);

    /// <summary>
    /// Lets the directions finish on their own after the run has ended: they end on <see cref="Stop"/> (and catch what they
    /// throw), but are not awaited, because a read on an input that ignores cancellation (a console) may never return.
    /// </summary>
    public static void Abandon(params Task[] directions) =>
        _ = Task.WhenAll(directions).ContinueWith(static t => t.Exception, TaskScheduler.Default);
}
