using System.Threading.Tasks.Sources;

namespace SockCat.Bench;

/// <summary>
/// An auto-reset signal with one waiter and no allocation: a connection's reader sets it when it has given the
/// writer more to send, the writer awaits it when it has sent everything. A set with no waiter is remembered once.
/// </summary>
/// <remarks>
/// Continuations run synchronously: the reader's <see cref="Set"/> runs the writer's loop on the reader's own thread
/// until the writer waits again (a small write on loopback completes at once), so a ping-pong message costs no extra
/// thread hop on top of the read's completion.
/// </remarks>
internal sealed class BenchSignal : IValueTaskSource
{
    private const int Idle = 0;
    private const int Signalled = 1;
    private const int Waiting = 2;

    private ManualResetValueTaskSourceCore<bool> _core;
    private int _state;

    /// <summary>Completes at once if set since the last wait, else when <see cref="Set"/> is next called. One caller at a time.</summary>
    public ValueTask WaitAsync()
    {
        if (Interlocked.CompareExchange(ref _state, Idle, Signalled) == Signalled)
        {
            return default;
        }

        // The previous wait's result was consumed before this call, so the core can be reused.
        _core.Reset();
        if (Interlocked.CompareExchange(ref _state, Waiting, Idle) == Idle)
        {
            return new ValueTask(this, _core.Version);
        }

        // Set between the two exchanges: only Set moves Idle to Signalled, and it leaves Signalled alone, so consume it.
        Volatile.Write(ref _state, Idle);
        return default;
    }

    public void Set()
    {
        while (true)
        {
            var state = Volatile.Read(ref _state);
            if (state == Signalled)
            {
                return;
            }

            if (state == Idle)
            {
                if (Interlocked.CompareExchange(ref _state, Signalled, Idle) == Idle)
                {
                    return;
                }

                continue;
            }

            if (Interlocked.CompareExchange(ref _state, Idle, Waiting) == Waiting)
            {
                _core.SetResult(true);
                return;
            }
        }
    }

    void IValueTaskSource.GetResult(short token) => _core.GetResult(token);

    ValueTaskSourceStatus IValueTaskSource.GetStatus(short token) => _core.GetStatus(token);

    void IValueTaskSource.OnCompleted(Action<object?> continuation, object? state, short token, ValueTaskSourceOnCompletedFlags flags)
        => _core.OnCompleted(continuation, state, token, flags);
}
