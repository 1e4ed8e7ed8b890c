namespace SockCat.Server.Hosting;

/// <summary>
/// `--single` on Kestrel: one connection served at a time, in order of arrival. Kestrel accepts every connection and
/// runs each one's pipeline on the thread pool, so the order in which pipelines reach the gate is not the order of
/// arrival (two back-to-back accepts can start in either order). A connection therefore takes a ticket where the order
/// is still known — at accept, in the listener (<see cref="EpollConnectionListener"/>,
/// <see cref="ArrivalNumberingListenerFactory"/>) — and the gate lets tickets through in number order,
/// skipping those whose connection left before its turn.
/// </summary>
internal sealed class ArrivalOrderGate
{
    private readonly Lock _lock = new();
    private readonly Dictionary<long, TaskCompletionSource> _waiting = [];
    private readonly HashSet<long> _left = [];
    private long _issued;
    private long _serving = 1;

    /// <summary>The next ticket; every ticket taken must reach <see cref="WaitTurnAsync"/> and then <see cref="Leave"/>.</summary>
    public long Take() => Interlocked.Increment(ref _issued);

    /// <summary>Completes when it is <paramref name="ticket"/>'s turn; throws when <paramref name="cancellationToken"/> fires first.</summary>
    public Task WaitTurnAsync(long ticket, CancellationToken cancellationToken)
    {
        lock (_lock)
        {
            if (ticket == _serving)
            {
                return Task.CompletedTask;
            }

            var turn = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
            _waiting[ticket] = turn;
            return turn.Task.WaitAsync(cancellationToken);
        }
    }

    /// <summary>The connection with <paramref name="ticket"/> is done, or gave up waiting: the next one may go.</summary>
    public void Leave(long ticket)
    {
        TaskCompletionSource? next;
        lock (_lock)
        {
            _waiting.Remove(ticket);
            if (ticket != _serving)
            {
                _left.Add(ticket);
                return;
            }

            _serving++;
            while (_left.Remove(_serving))
            {
                _serving++;
            }

            _waiting.Remove(_serving, out next);
        }

        next?.TrySetResult();
    }
}
