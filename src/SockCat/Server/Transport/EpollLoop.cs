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
internal sealed unsafe partial class EpollLoop
{
    // 64 KiB: a full TCP window's worth per recv, and every echo of it fits the scratch buffer in one send.
    internal const int BufferSize = 64 * 1024;
    // As many as the C reference loop: at 1000 busy connections one wait returns every ready one.
    private const int MaxEvents = 1024;
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

    private void Run()
    {
        var events = stackalloc LinuxSockets.EpollEvent[MaxEvents];
        try
        {
            if (Host.Options.BatchScheduling && !LinuxScheduling.MakeCallingThreadBatch())
            {
                ServerLog.BatchSchedulingRefused(Host.Logger, Index, LinuxSockets.LastError);
            }

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
                            connection.OnEvents(events[i].Events, low);
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


    /// <summary>Registers a connection's descriptor; data carries the generation so stale events can be told apart.</summary>
    public bool Register(EpollConnection connection, uint events)
    {
        var ev = new LinuxSockets.EpollEvent { Events = events, Data = ((ulong)connection.Generation << 32) | (uint)connection.Fd };
        return LinuxSockets.EpollCtl(_epollFd, LinuxSockets.EPOLL_CTL_ADD, connection.Fd, &ev) == 0;
    }

    public void Unregister(EpollConnection connection)
    {
        var ev = default(LinuxSockets.EpollEvent);
        LinuxSockets.EpollCtl(_epollFd, LinuxSockets.EPOLL_CTL_DEL, connection.Fd, &ev);
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
            if (!connection.IsOutbound)
            {
                _count--;
            }
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
