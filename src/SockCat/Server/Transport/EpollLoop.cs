using System.Collections.Concurrent;
using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;
using Microsoft.Extensions.Logging;
using SockCat.Internal.Interop;

namespace SockCat.Server.Transport;

/// <summary>
/// One epoll loop thread: it accepts from the shared listeners, and reads, calls the protocol and writes for the
/// connections it accepted, all on its own thread, level-triggered. It owns one receive buffer and one scratch output
/// buffer that every one of its connections uses in turn, so a connection holds a buffer of its own only while input
/// is unconsumed or output unsent. Other threads reach it only through <see cref="Post"/> and the eventfd.
/// </summary>
internal sealed unsafe class EpollLoop
{
    // 64 KiB: a full TCP window's worth per recv, and every echo of it fits the scratch buffer in one send.
    internal const int BufferSize = 64 * 1024;
    // As many as the C reference loop: at 1000 busy connections one wait returns every ready one.
    private const int MaxEvents = 1024;
    // Accepts per readiness event: enough to drain a burst quickly, few enough that one loop does not take a whole
    // 15,000-connect burst while the others sleep (the listener stays readable, so the next wait comes back at once).
    private const int AcceptBatch = 64;
    private const int OutOfFilesPauseMs = 100;

    // How soon a loop asks ServerOptions.AcceptGate again after it said no.
    private const int AcceptGatePauseMs = 5;
    private const ulong KindWake = 0;
    private const ulong KindListener = 1;

    private readonly EpollListener[] _listeners;
    private readonly int _epollFd;
    private readonly int _wakeFd;
    private readonly Lock _wakeFdLock = new();
    private readonly ConcurrentQueue<PostItem> _posts = new();
    private readonly long _idleMs;
    private readonly int _sweepMs;
    private readonly bool _single;
    private readonly Func<bool>? _acceptGate;
    private readonly Thread _thread;
    private readonly TaskCompletionSource _acceptingStopped = new(TaskCreationOptions.RunContinuationsAsynchronously);
    private readonly TaskCompletionSource _exited = new(TaskCreationOptions.RunContinuationsAsynchronously);
    private EpollConnection?[] _byFd = new EpollConnection?[256];
    private int _count;
    private uint _nextGeneration = 2;
    private int _wakePending;
    private int _postsClosed;
    private volatile bool _stopAcceptingRequested;
    private volatile bool _exitRequested;
    private string _exitReason = "server stopping";
    private bool _accepting;
    private bool _fdsClosed;
    private long _acceptResumeAt;
    private long _nextSweep;

    public EpollLoop(ServerHost host, int index, EpollListener[] listeners)
    {
        Host = host;
        Index = index;
        _listeners = listeners;
        _single = host.Options.SingleClient;
        _acceptGate = host.Options.AcceptGate;
        _idleMs = host.Options.IdleTimeout is { } idle ? Math.Max(1, (long)idle.TotalMilliseconds) : 0;
        MaxOutput = host.MaxOutputQueueBytes;
        SlowConsumerLimit = host.SlowConsumerLimitBytes;
        MaxInput = host.Options.MaxInputBufferBytes;
        _sweepMs = (int)Math.Clamp(_idleMs / 4, 10, 1000);

        ReceiveBuffer = GC.AllocateUninitializedArray<byte>(BufferSize, pinned: true);
        ReceivePointer = (byte*)Unsafe.AsPointer(ref MemoryMarshal.GetArrayDataReference(ReceiveBuffer));
        Scratch = GC.AllocateUninitializedArray<byte>(BufferSize, pinned: true);
        ScratchPointer = (byte*)Unsafe.AsPointer(ref MemoryMarshal.GetArrayDataReference(Scratch));
        Discard = new byte[BufferSize];

        _epollFd = LinuxSockets.EpollCreate1(LinuxSockets.EPOLL_CLOEXEC);
        if (_epollFd < 0)
        {
            throw new IOException($"epoll_create1 failed (errno {LinuxSockets.LastError})");
        }

        _wakeFd = LinuxSockets.EventFd(0, LinuxSockets.EFD_NONBLOCK | LinuxSockets.EFD_CLOEXEC);
        if (_wakeFd < 0)
        {
            var errno = LinuxSockets.LastError;
            LinuxSockets.Close(_epollFd);
            throw new IOException($"eventfd failed (errno {errno})");
        }

        var ev = new LinuxSockets.EpollEvent { Events = LinuxSockets.EPOLLIN, Data = KindWake << 32 };
        LinuxSockets.EpollCtl(_epollFd, LinuxSockets.EPOLL_CTL_ADD, _wakeFd, &ev);
        _thread = new Thread(Run) { IsBackground = true, Name = $"sockcat-epoll-{index}" };
    }

    public ServerHost Host { get; }

    public int Index { get; }

    /// <summary>The outbound queue's backpressure bound (<see cref="ServerOptions.MaxOutputQueueBytes"/>).</summary>
    public int MaxOutput { get; }

    /// <summary>The slow-consumer rule's limit on a connection's outbound queue.</summary>
    public int SlowConsumerLimit { get; }

    /// <summary>The bound on a connection's unconsumed input (<see cref="ServerOptions.MaxInputBufferBytes"/>).</summary>
    public int MaxInput { get; }

    public long Now { get; private set; } = Environment.TickCount64;

    public byte[] ReceiveBuffer { get; }

    public byte* ReceivePointer { get; }

    public byte[] Scratch { get; }

    public byte* ScratchPointer { get; }

    /// <summary>Bytes written into <see cref="Scratch"/> by <see cref="ScratchOwner"/> during its current call.</summary>
    public int ScratchLength;

    /// <summary>The connection whose protocol call is running; only it may write into the scratch buffer.</summary>
    public EpollConnection? ScratchOwner;

    /// <summary>
    /// Output <see cref="ScratchOwner"/> wrote straight out of <see cref="ReceiveBuffer"/> (an echo), sent from there
    /// when the call returns instead of being copied: the receive buffer is not read into again before that.
    /// </summary>
    public byte* Direct;

    /// <summary>The length at <see cref="Direct"/>; 0 when there is none. Never set while <see cref="ScratchLength"/> is not 0.</summary>
    public int DirectLength;

    /// <summary>Where writes go once a connection is closing or over its bound: read by nobody.</summary>
    public byte[] Discard { get; }

    public int EpollFd => _epollFd;

    public Task AcceptingStopped => _acceptingStopped.Task;

    public Task Exited => _exited.Task;

    public void Start() => _thread.Start();

    public void RequestStopAccepting()
    {
        _stopAcceptingRequested = true;
        Wake();
    }

    public void RequestExit(string reason)
    {
        _exitReason = reason;
        _exitRequested = true;
        Wake();
    }

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

    private void Run()
    {
        var events = stackalloc LinuxSockets.EpollEvent[MaxEvents];
        try
        {
            SetAccepting(true);
            _nextSweep = Now + _sweepMs;
            while (true)
            {
                var n = LinuxSockets.EpollWait(_epollFd, events, MaxEvents, WaitTimeout());
                Now = Environment.TickCount64;
                if (n < 0)
                {
                    if (LinuxSockets.LastError == LinuxSockets.EINTR)
                    {
                        continue;
                    }

                    throw new IOException($"epoll_wait failed (errno {LinuxSockets.LastError})");
                }

                for (var i = 0; i < n; i++)
                {
                    var data = events[i].Data;
                    var kind = data >> 32;
                    var low = (int)(uint)data;
                    if (kind >= 2)
                    {
                        var byFd = _byFd;
                        var connection = (uint)low < (uint)byFd.Length ? byFd[low] : null;
                        // The generation check drops an event for a descriptor closed earlier in this batch and reused since.
                        if (connection is not null && connection.Generation == (uint)kind)
                        {
                            connection.OnEvents(events[i].Events);
                        }
                    }
                    else if (kind == KindListener)
                    {
                        OnAcceptable(_listeners[low]);
                    }
                    else
                    {
                        OnWake();
                    }
                }

                if (_exitRequested)
                {
                    break;
                }

                if (_acceptResumeAt != 0 && Now >= _acceptResumeAt)
                {
                    _acceptResumeAt = 0;
                    if (!_stopAcceptingRequested)
                    {
                        SetAccepting(true);
                    }
                }

                if (_idleMs > 0 && Now >= _nextSweep)
                {
                    SweepIdle();
                }
            }
        }
        catch (Exception ex)
        {
            ServerLog.LoopFailed(Host.Logger, Index, ex);
        }
        finally
        {
            CloseAll(_exitReason);
            // Interlocked (a full fence) before the last drain, as Post enqueues before it reads the flag: every post is
            // either drained here or handed back by its poster.
            Interlocked.Exchange(ref _postsClosed, 1);
            DropPosts();
            lock (_wakeFdLock)
            {
                _fdsClosed = true;
                LinuxSockets.Close(_wakeFd);
                LinuxSockets.Close(_epollFd);
            }

            _acceptingStopped.TrySetResult();
            _exited.TrySetResult();
        }
    }

    private int WaitTimeout()
    {
        var wakeAt = long.MaxValue;
        if (_idleMs > 0)
        {
            wakeAt = _nextSweep;
        }

        if (_acceptResumeAt != 0)
        {
            wakeAt = Math.Min(wakeAt, _acceptResumeAt);
        }

        return wakeAt == long.MaxValue ? -1 : (int)Math.Clamp(wakeAt - Environment.TickCount64, 0, int.MaxValue);
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

    private void SetAccepting(bool on)
    {
        if (_accepting == on)
        {
            return;
        }

        foreach (var listener in _listeners)
        {
            // EPOLLEXCLUSIVE cannot be combined with EPOLL_CTL_MOD, so pausing is a delete and resuming an add.
            var ev = new LinuxSockets.EpollEvent
            {
                Events = LinuxSockets.EPOLLIN | LinuxSockets.EPOLLEXCLUSIVE,
                Data = (KindListener << 32) | (uint)listener.Index,
            };
            LinuxSockets.EpollCtl(_epollFd, on ? LinuxSockets.EPOLL_CTL_ADD : LinuxSockets.EPOLL_CTL_DEL, listener.Fd, &ev);
        }

        _accepting = on;
    }

    private void OnAcceptable(EpollListener listener)
    {
        const int addressCapacity = 128; // sizeof(struct sockaddr_storage)
        var address = stackalloc byte[addressCapacity];
        for (var i = 0; i < AcceptBatch && _accepting; i++)
        {
            if (_single && _count > 0)
            {
                // The seed's first server: the next client waits in the backlog until this one leaves.
                SetAccepting(false);
                return;
            }

            if (_acceptGate is not null && !_acceptGate())
            {
                SetAccepting(false);
                _acceptResumeAt = Now + AcceptGatePauseMs;
                return;
            }

            var length = addressCapacity;
            var fd = LinuxSockets.Accept4(listener.Fd, address, &length, LinuxSockets.SOCK_NONBLOCK | LinuxSockets.SOCK_CLOEXEC);
            if (fd < 0)
            {
                var errno = LinuxSockets.LastError;
                switch (errno)
                {
                    case LinuxSockets.EAGAIN:
                        return;
                    case LinuxSockets.EINTR or LinuxSockets.ECONNABORTED or 71 /* EPROTO */:
                        continue;
                    case LinuxSockets.EMFILE or LinuxSockets.ENFILE or LinuxSockets.ENOBUFS or LinuxSockets.ENOMEM:
                        // Accepting again at once would spin: the pending connection stays readable on the listener.
                        // Pause briefly; connections that close meanwhile free descriptors.
                        ServerLog.OutOfFileDescriptors(Host.Logger, Marshal.GetPInvokeErrorMessage(errno), OutOfFilesPauseMs);
                        SetAccepting(false);
                        _acceptResumeAt = Now + OutOfFilesPauseMs;
                        return;
                    default:
                        ServerLog.AcceptFailed(Host.Logger, listener.Url.ToString(), Marshal.GetPInvokeErrorMessage(errno));
                        return;
                }
            }

            Accepted(listener, fd, address, length);
        }
    }

    private void Accepted(EpollListener listener, int fd, byte* address, int length)
    {
        var peer = listener.IsUnix ? PeerAddress.Unix(PeerPid(fd)) : PeerAddress.FromSockAddr(address, length);
        var admission = Host.Admit(listener.Url, peer, out var count);
        if (admission != Admission.Admitted)
        {
            if (admission == Admission.Full)
            {
                var message = Host.ServerFullMessage;
                fixed (byte* p = message)
                {
                    LinuxSockets.Send(fd, p, message.Length, LinuxSockets.MSG_NOSIGNAL | LinuxSockets.MSG_DONTWAIT);
                }
            }

            LinuxSockets.Close(fd);
            return;
        }

        if (!listener.IsUnix)
        {
            // Replies are written whole, once per read: Nagle would only hold the next small reply back by a round trip.
            LinuxSockets.SetIntOption(fd, LinuxSockets.IPPROTO_TCP, LinuxSockets.TCP_NODELAY, 1);
        }

        var generation = _nextGeneration++;
        if (_nextGeneration < 2)
        {
            _nextGeneration = 2;
        }

        var connection = new EpollConnection(this, listener.Binding, fd, generation, Host.Registry.NextId(), peer);
        if (fd >= _byFd.Length)
        {
            Array.Resize(ref _byFd, Math.Max(_byFd.Length * 2, fd + 1));
        }

        _byFd[fd] = connection;
        _count++;
        Host.Opened(connection, count);
        connection.Start();
    }

    private static int PeerPid(int fd)
    {
        LinuxSockets.UCred credentials;
        var length = sizeof(LinuxSockets.UCred);
        return LinuxSockets.GetSockOpt(fd, LinuxSockets.SOL_SOCKET, LinuxSockets.SO_PEERCRED, &credentials, &length) == 0
            ? credentials.Pid
            : 0;
    }

    /// <summary>Registers a connection's descriptor; data carries the generation so stale events can be told apart.</summary>
    public bool Register(EpollConnection connection, uint events)
    {
        var ev = new LinuxSockets.EpollEvent { Events = events, Data = ((ulong)connection.Generation << 32) | (uint)connection.Fd };
        return LinuxSockets.EpollCtl(_epollFd, LinuxSockets.EPOLL_CTL_ADD, connection.Fd, &ev) == 0;
    }

    public void Modify(EpollConnection connection, uint events)
    {
        var ev = new LinuxSockets.EpollEvent { Events = events, Data = ((ulong)connection.Generation << 32) | (uint)connection.Fd };
        LinuxSockets.EpollCtl(_epollFd, LinuxSockets.EPOLL_CTL_MOD, connection.Fd, &ev);
    }

    /// <summary>Forgets a connection that is closing (its descriptor is about to be closed, which leaves the epoll set).</summary>
    public void Detach(EpollConnection connection)
    {
        if ((uint)connection.Fd < (uint)_byFd.Length && ReferenceEquals(_byFd[connection.Fd], connection))
        {
            _byFd[connection.Fd] = null;
            _count--;
        }

        if (_single && _count == 0 && !_stopAcceptingRequested && _acceptResumeAt == 0)
        {
            SetAccepting(true);
        }
    }

    private void SweepIdle()
    {
        _nextSweep = Now + _sweepMs;
        var byFd = _byFd;
        for (var fd = 0; fd < byFd.Length; fd++)
        {
            var connection = byFd[fd];
            if (connection is not null && Now - connection.LastActivity >= _idleMs)
            {
                connection.CloseFromLoop($"idle for {FormatSeconds(_idleMs)} s (idle timeout)");
            }
        }
    }

    private void CloseAll(string reason)
    {
        var byFd = _byFd;
        for (var fd = 0; fd < byFd.Length; fd++)
        {
            byFd[fd]?.CloseFromLoop(reason);
        }
    }

    private static string FormatSeconds(long ms) =>
        (ms / 1000.0).ToString(ms % 1000 == 0 ? "0" : "0.###", System.Globalization.CultureInfo.InvariantCulture);
}

/// <summary>
/// A callback posted to a connection's loop from another thread, with what hands its state back if it cannot run; or,
/// with no callback, a close.
/// </summary>
internal readonly record struct PostItem(
    EpollConnection Connection, uint Generation, Action<IConnection, object?>? Callback, object? State, Action<object?>? Dropped, string? CloseReason);
