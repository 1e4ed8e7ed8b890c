using SockCat.Internal.Interop;

namespace SockCat.Server.Transport;

/// <summary>Posting: the one way in from other threads, a queue and an eventfd, drained on the loop's thread.</summary>
internal sealed unsafe partial class EpollLoop
{
    public void Post(in PostItem item)
    {
        _posts.Enqueue(item);
        if (Volatile.Read(ref _postsClosed) != 0)
        {
            // The loop has exited and drained its queue for the last time: hand this one (and any racing it) back here.
            DropPosts();
            return;
        }

        Wake();
    }

    /// <summary>Hands back every queued post: the loop is gone, so no callback of them will run.</summary>
    private void DropPosts()
    {
        while (_posts.TryDequeue(out var item))
        {
            item.Connection.Drop(item);
        }
    }

    private void Wake()
    {
        if (Interlocked.Exchange(ref _wakePending, 1) != 0)
        {
            return;
        }

        // The lock only guards against writing to a closed (and perhaps reused) descriptor after the loop exits; it is
        // taken once per wake-up, not per posted item.
        lock (_wakeFdLock)
        {
            if (!_fdsClosed)
            {
                ulong one = 1;
                LinuxSockets.Write(_wakeFd, &one, sizeof(ulong));
            }
        }
    }

    private void OnWake()
    {
        ulong value;
        LinuxSockets.Read(_wakeFd, &value, sizeof(ulong));
        Volatile.Write(ref _wakePending, 0);

        while (_posts.TryDequeue(out var item))
        {
            var connection = item.Connection;
            if (connection.Generation == item.Generation && !connection.IsClosed)
            {
                connection.RunPosted(item);
            }
            else
            {
                connection.Drop(item);
            }
        }

        if (_stopAcceptingRequested)
        {
            if (_accepting)
            {
                SetAccepting(false);
            }

            _acceptResumeAt = 0;
            _acceptingStopped.TrySetResult();
        }
    }
}

/// <summary>
/// A callback posted to a connection's loop from another thread, with what hands its state back if it cannot run; or,
/// with no callback, a close.
/// </summary>
internal readonly record struct PostItem(
    EpollConnection Connection, uint Generation, Action<IConnection, object?>? Callback, object? State, Action<object?>? Dropped, string? CloseReason);
