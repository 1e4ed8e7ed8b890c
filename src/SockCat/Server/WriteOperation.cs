namespace SockCat.Server;

/// <summary>
/// One <see cref="IConnection.WriteAsync"/> in flight: the bytes not yet queued, and the task its producer awaits. The
/// connection's thread takes bytes from <see cref="Remaining"/> while its outbound queue has room and completes the
/// operation once they are all queued and the queue is within its bound; a cancellation completes it from the token's
/// thread, after which the connection skips what is left.
/// </summary>
internal sealed class WriteOperation
{
    private readonly TaskCompletionSource<bool> _done = new(TaskCreationOptions.RunContinuationsAsynchronously);
    private readonly CancellationTokenRegistration _cancel;

    public WriteOperation(ReadOnlyMemory<byte> data, CancellationToken cancellationToken)
    {
        Remaining = data;
        if (cancellationToken.CanBeCanceled)
        {
            _cancel = cancellationToken.UnsafeRegister(static (s, token) => ((WriteOperation)s!)._done.TrySetCanceled(token), this);
        }
    }

    /// <summary>The bytes not yet queued; only the connection's thread changes it.</summary>
    public ReadOnlyMemory<byte> Remaining { get; set; }

    public Task<bool> Task => _done.Task;

    /// <summary>Done: queued, failed, or cancelled; the connection drops it.</summary>
    public bool IsCompleted => _done.Task.IsCompleted;

    /// <summary>Completes with true (queued, within the bound) or false (the connection closed first).</summary>
    public void Complete(bool queued)
    {
        _done.TrySetResult(queued);
        _cancel.Unregister();
    }

    /// <summary>For <see cref="IConnection.Post(Action{IConnection, object}, object, Action{object})"/>: the connection was gone before the bytes were taken.</summary>
    public static readonly Action<object?> Dropped = static s => ((WriteOperation)s!).Complete(false);
}
