using System.Runtime.InteropServices;
using SockCat.Internal.Interop;

namespace SockCat.Server.Transport;

/// <summary>
/// Descriptors written on the connection's thread (<see cref="IConnection.AttachWritableDescriptor"/>): a write goes
/// straight to the descriptor, nonblocking; what it does not take is kept, the descriptor watched for room
/// (<c>EPOLLOUT</c>) and the peer not read meanwhile, so a reader that does not keep up holds the peer back through the
/// socket's window and the connection never keeps more than one read's worth for it.
/// </summary>
internal sealed unsafe partial class EpollConnection
{
    private const int FlagDescriptorHold = 2048; // not read: a written descriptor holds bytes it could not take yet

    private List<EpollDescriptorWriter>? _descriptorWriters;

    public override IDescriptorWriter AttachWritableDescriptor(SafeHandle descriptor)
    {
        ArgumentNullException.ThrowIfNull(descriptor);
        // In the table (so that its events reach this connection) but not in the epoll set until it is full.
        TakeDescriptor(descriptor);
        var writer = new EpollDescriptorWriter(this, descriptor);
        (_descriptorWriters ??= []).Add(writer);
        return writer;
    }

    public bool WriteDescriptor(EpollDescriptorWriter writer, ReadOnlySpan<byte> data)
    {
        if (!writer.IsAttached)
        {
            return false;
        }

        if (writer.Pending.IsEmpty)
        {
            var n = WriteSome(writer.Fd, data);
            if (n < 0)
            {
                DetachWriter(writer);
                return false;
            }

            data = data[n..];
            if (data.IsEmpty)
            {
                return true;
            }
        }

        writer.Pending.Append(data);
        HoldForWriters();
        return true;
    }

    public void CompleteWriter(EpollDescriptorWriter writer)
    {
        writer.Completing = true;
        if (writer.IsAttached && writer.Pending.IsEmpty)
        {
            DetachWriter(writer);
        }
    }

    /// <summary>Writes what the descriptor takes now: the count (maybe 0), or -1 when it failed (its reader has gone).</summary>
    private static int WriteSome(int fd, ReadOnlySpan<byte> data)
    {
        var written = 0;
        fixed (byte* p = data)
        {
            while (written < data.Length)
            {
                var n = LinuxSockets.Write(fd, p + written, data.Length - written);
                if (n > 0)
                {
                    written += (int)n;
                    continue;
                }

                var errno = LinuxSockets.LastError;
                if (n < 0 && errno == LinuxSockets.EINTR)
                {
                    continue;
                }

                return n < 0 && errno == LinuxSockets.EAGAIN ? written : -1;
            }
        }

        return written;
    }

    /// <summary>The descriptor has room (or its reader has gone): the kept bytes are written, and the peer read again once they all are.</summary>
    private void OnWriterEvents(EpollDescriptorWriter writer)
    {
        if (writer.IsAttached && !writer.Pending.IsEmpty)
        {
            var n = WriteSome(writer.Fd, writer.Pending.Readable);
            if (n < 0)
            {
                DetachWriter(writer);
            }
            else
            {
                writer.Pending.Consume(n);
                if (writer.Pending.IsEmpty)
                {
                    writer.Pending.Release();
                    if (writer.Completing)
                    {
                        DetachWriter(writer);
                    }
                }
            }
        }

        LastActivity = _loop.Now;
        HoldForWriters();
        UpdateInterest();
    }

    private EpollDescriptorWriter? FindWriter(int fd)
    {
        if (_descriptorWriters is { } writers)
        {
            foreach (var writer in writers)
            {
                if (writer.Fd == fd)
                {
                    return writer;
                }
            }
        }

        return null;
    }

    /// <summary>
    /// The peer is not read while any written descriptor keeps bytes, and each descriptor with bytes kept is watched for
    /// room and no other (a pipe's write end reports EPOLLERR whenever its reader has gone, so it is out of the set
    /// while there is nothing to write). The socket's own interest follows in <see cref="UpdateInterest"/>.
    /// </summary>
    private void HoldForWriters()
    {
        var hold = false;
        foreach (var writer in _descriptorWriters!)
        {
            var wanted = !writer.Pending.IsEmpty;
            hold |= wanted;
            if (wanted != writer.Watched)
            {
                writer.Watched = wanted;
                _loop.WatchDescriptor(this, writer.Fd, wanted, LinuxSockets.EPOLLOUT);
            }
        }

        _flags = hold ? _flags | FlagDescriptorHold : _flags & ~FlagDescriptorHold;
    }

    /// <summary>Takes a written descriptor out of the loop and lets its handle close it, dropping what it kept; idempotent.</summary>
    public void DetachWriter(EpollDescriptorWriter writer)
    {
        if (!writer.IsAttached)
        {
            return;
        }

        writer.IsAttached = false;
        writer.Pending.Release();
        _descriptorWriters!.Remove(writer);
        if (writer.Watched)
        {
            writer.Watched = false;
            _loop.WatchDescriptor(this, writer.Fd, watch: false, LinuxSockets.EPOLLOUT);
        }

        // Out of the table before the handle closes the number, which the next accept may reuse at once.
        _loop.RemoveDescriptor(this, writer.Fd);
        writer.Handle.DangerousRelease();
        writer.Handle.Dispose();
        if (!IsClosed)
        {
            HoldForWriters();
            if (!ReferenceEquals(_loop.ScratchOwner, this))
            {
                UpdateInterest(); // outside a call (one in progress updates when it returns)
            }
        }
    }

    /// <summary>The connection is closing: every written descriptor is closed, what it kept dropped.</summary>
    private void CloseDescriptorWriters()
    {
        if (_descriptorWriters is { Count: > 0 } writers)
        {
            foreach (var writer in writers.ToArray())
            {
                DetachWriter(writer);
            }
        }
    }
}

/// <summary>One descriptor written by an <see cref="EpollConnection"/>; every member on the loop's thread.</summary>
internal sealed class EpollDescriptorWriter(EpollConnection owner, System.Runtime.InteropServices.SafeHandle handle) : IDescriptorWriter
{
    /// <summary>What the descriptor has not taken yet.</summary>
    public PooledByteQueue Pending;

    public int Fd { get; } = (int)handle.DangerousGetHandle();

    public System.Runtime.InteropServices.SafeHandle Handle { get; } = handle;

    /// <summary>Whether it is in the epoll set (for EPOLLOUT) now.</summary>
    public bool Watched { get; set; }

    /// <summary>Closed once <see cref="Pending"/> is written.</summary>
    public bool Completing { get; set; }

    public bool IsAttached { get; set; } = true;

    public bool Write(ReadOnlySpan<byte> data) => owner.WriteDescriptor(this, data);

    public void Complete() => owner.CompleteWriter(this);

    public void Dispose() => owner.DetachWriter(this);
}
