using SockCat.Internal.Interop;

namespace SockCat.Server.Transport;

/// <summary>
/// Descriptors a connection reads on this loop (<see cref="IConnection.AttachDescriptor"/>): each is in the loop's table
/// under its own number, pointing at the connection that owns it, and its events carry that connection's generation, so
/// the dispatch is the connection's own (it tells its descriptors from its socket by the number).
/// </summary>
internal sealed unsafe partial class EpollLoop
{
    /// <summary>Puts <paramref name="fd"/> in the table for <paramref name="owner"/>; false when the number is taken.</summary>
    public bool AddDescriptor(EpollConnection owner, int fd)
    {
        if (fd >= _byFd.Length)
        {
            Array.Resize(ref _byFd, Math.Max(_byFd.Length * 2, fd + 1));
        }

        if (_byFd[fd] is not null)
        {
            return false;
        }

        _byFd[fd] = owner;
        return true;
    }

    /// <summary>Takes <paramref name="fd"/> out of the table, before it is closed (its number may be reused at once).</summary>
    public void RemoveDescriptor(EpollConnection owner, int fd)
    {
        if ((uint)fd < (uint)_byFd.Length && ReferenceEquals(_byFd[fd], owner))
        {
            _byFd[fd] = null;
        }
    }

    /// <summary>
    /// Starts (true) or stops (false) watching a descriptor for reading (or, with <paramref name="events"/>
    /// <c>EPOLLOUT</c>, for room to write); the errno on failure, 0 on success.
    /// </summary>
    public int WatchDescriptor(EpollConnection owner, int fd, bool watch, uint events = LinuxSockets.EPOLLIN)
    {
        var ev = new LinuxSockets.EpollEvent { Events = events, Data = ((ulong)owner.Generation << 32) | (uint)fd };
        // Out of the set rather than with no events: EPOLLHUP cannot be masked, and a paused pipe whose writer has gone
        // would wake a level-triggered loop forever.
        return LinuxSockets.EpollCtl(_epollFd, watch ? LinuxSockets.EPOLL_CTL_ADD : LinuxSockets.EPOLL_CTL_DEL, fd, &ev) == 0 ? 0 : LinuxSockets.LastError;
    }
}
