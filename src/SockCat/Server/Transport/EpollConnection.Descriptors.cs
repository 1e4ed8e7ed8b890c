using System.Runtime.InteropServices;
using SockCat.Internal.Interop;

namespace SockCat.Server.Transport;

/// <summary>
/// Descriptors read on the connection's thread (<see cref="IConnection.AttachDescriptor"/>): one read into the loop's
/// receive buffer when readable, handed to the handler, whose output is sent when it returns (straight from that buffer
/// when it forwards the bytes as they are). Not watched while the protocol paused it or the outbound queue is over its
/// bound, so the descriptor's writer is held back by the peer.
/// </summary>
internal sealed unsafe partial class EpollConnection
{
    private List<EpollDescriptor>? _descriptors;

    public override IAttachedDescriptor AttachDescriptor(SafeHandle descriptor, IDescriptorHandler handler)
    {
        ArgumentNullException.ThrowIfNull(descriptor);
        ArgumentNullException.ThrowIfNull(handler);
        var fd = TakeDescriptor(descriptor);
        var attached = new EpollDescriptor(this, descriptor, handler);
        var error = _loop.WatchDescriptor(this, fd, watch: true);
        if (error != 0)
        {
            _loop.RemoveDescriptor(this, fd);
            descriptor.DangerousRelease();
            throw new IOException($"descriptor {fd} cannot be watched ({Marshal.GetPInvokeErrorMessage(error)})");
        }

        attached.Watched = true;
        (_descriptors ??= []).Add(attached);
        UpdateDescriptors();
        return attached;
    }

    /// <summary>
    /// What attaching any descriptor takes, read or write side: a reference on the handle (so the owner cannot close
    /// it under the loop), non-blocking mode, and its place in the loop's table so that its events reach this
    /// connection. Throws with the handle released when one of them fails.
    /// </summary>
    private int TakeDescriptor(SafeHandle descriptor)
    {
        if (IsClosed)
        {
            throw new InvalidOperationException($"connection {Id} is closed");
        }

        var added = false;
        descriptor.DangerousAddRef(ref added);
        var fd = (int)descriptor.DangerousGetHandle();
        var flags = LinuxSockets.Fcntl(fd, LinuxSockets.F_GETFL, 0);
        if (flags < 0 || LinuxSockets.Fcntl(fd, LinuxSockets.F_SETFL, flags | LinuxSockets.O_NONBLOCK) < 0)
        {
            var errno = LinuxSockets.LastError;
            descriptor.DangerousRelease();
            throw new IOException($"descriptor {fd} cannot be made nonblocking ({Marshal.GetPInvokeErrorMessage(errno)})");
        }

        if (!_loop.AddDescriptor(this, fd))
        {
            descriptor.DangerousRelease();
            throw new IOException($"descriptor {fd} is already watched by this server");
        }

        return fd;
    }

    private void OnDescriptorEvents(int fd)
    {
        var attached = FindDescriptor(fd);
        if (attached is null)
        {
            if (FindWriter(fd) is { } writer)
            {
                OnWriterEvents(writer);
            }

            return;
        }

        if (!WantsRead(attached))
        {
            return; // paused earlier in this batch of events
        }

        // Room for what is read to be written one for one without passing the slow-consumer limit.
        var room = (int)Math.Clamp((long)_loop.SlowConsumerLimit - _output.Length, 1, EpollLoop.BufferSize);
        nint n;
        do
        {
            n = LinuxSockets.Read(fd, _loop.ReceivePointer, room);
        }
        while (n < 0 && LinuxSockets.LastError == LinuxSockets.EINTR);

        if (n < 0)
        {
            var errno = LinuxSockets.LastError;
            if (errno != LinuxSockets.EAGAIN)
            {
                EndDescriptor(attached, Marshal.GetPInvokeErrorMessage(errno));
            }

            return;
        }

        if (n == 0)
        {
            EndDescriptor(attached, null);
            return;
        }

        LastActivity = _loop.Now;
        BeginCall();
        try
        {
            attached.Handler.OnData(this, _loop.ReceiveBuffer.AsSpan(0, (int)n));
        }
        catch (Exception ex)
        {
            ProtocolFailed(ex);
        }

        AfterCall();
    }

    private EpollDescriptor? FindDescriptor(int fd)
    {
        if (_descriptors is { } descriptors)
        {
            foreach (var attached in descriptors)
            {
                if (attached.Fd == fd)
                {
                    return attached;
                }
            }
        }

        return null;
    }

    private bool WantsRead(EpollDescriptor attached) =>
        !attached.Paused && (_flags & (FlagClosed | FlagBackpressure | FlagCloseRequested)) == 0 && _abortReason is null && _errorReason is null;

    /// <summary>Watches each descriptor that should be read now and no other (from <see cref="UpdateInterest"/>).</summary>
    private void UpdateDescriptors()
    {
        foreach (var attached in _descriptors!)
        {
            var wanted = WantsRead(attached);
            if (wanted != attached.Watched)
            {
                attached.Watched = wanted;
                _loop.WatchDescriptor(this, attached.Fd, wanted);
            }
        }
    }

    /// <summary>The descriptor ended (or failed): out of the loop and closed, then the handler is told, within a call.</summary>
    private void EndDescriptor(EpollDescriptor attached, string? error)
    {
        Detach(attached);
        BeginCall();
        try
        {
            attached.Handler.OnEnded(this, error);
        }
        catch (Exception ex)
        {
            ProtocolFailed(ex);
        }

        AfterCall();
    }

    /// <summary>Takes a descriptor out of the loop and lets its handle close it; idempotent.</summary>
    public void Detach(EpollDescriptor attached)
    {
        if (!attached.IsAttached)
        {
            return;
        }

        attached.IsAttached = false;
        _descriptors!.Remove(attached);
        if (attached.Watched)
        {
            attached.Watched = false;
            _loop.WatchDescriptor(this, attached.Fd, watch: false);
        }

        // Out of the table before the handle closes the number, which the next accept may reuse at once.
        _loop.RemoveDescriptor(this, attached.Fd);
        attached.Handle.DangerousRelease();
        attached.Handle.Dispose();
    }

    /// <summary>The connection is closing: every descriptor is closed and its handler told (before the protocol's OnClosed).</summary>
    private void CloseDescriptors()
    {
        if (_descriptors is not { Count: > 0 } descriptors)
        {
            return;
        }

        foreach (var attached in descriptors.ToArray())
        {
            Detach(attached);
            try
            {
                attached.Handler.OnEnded(this, "connection closed");
            }
            catch (Exception ex)
            {
                ServerLog.ProtocolFailed(Host.Logger, Id, Peer, ex);
            }
        }
    }

    public void SetPaused(EpollDescriptor attached, bool paused)
    {
        attached.Paused = paused;
        if (attached.IsAttached && !ReferenceEquals(_loop.ScratchOwner, this))
        {
            UpdateDescriptors(); // outside a call (a posted callback runs inside one, whose AfterCall updates)
        }
    }
}

/// <summary>One descriptor attached to an <see cref="EpollConnection"/>; every member on the loop's thread.</summary>
internal sealed class EpollDescriptor(EpollConnection owner, SafeHandle handle, IDescriptorHandler handler) : IAttachedDescriptor
{
    public int Fd { get; } = (int)handle.DangerousGetHandle();

    public SafeHandle Handle { get; } = handle;

    public IDescriptorHandler Handler { get; } = handler;

    public bool Paused { get; set; }

    /// <summary>Whether it is in the epoll set now.</summary>
    public bool Watched { get; set; }

    public bool IsAttached { get; set; } = true;

    public void Pause() => owner.SetPaused(this, true);

    public void Resume() => owner.SetPaused(this, false);

    public void Dispose() => owner.Detach(this);
}
