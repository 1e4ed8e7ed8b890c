using System.Runtime.InteropServices;
using SockCat.Internal.Interop;
using static SockCat.Internal.Interop.LinuxSockets;

namespace SockCat.Bench;

/// <summary>
/// One io_uring instance owned by one load-generator thread: the submission and completion rings mapped into this
/// process, the connections' sockets as registered files, and a ring of provided receive buffers. Set up with
/// SINGLE_ISSUER and DEFER_TASKRUN: only the owning thread submits, and completions run as task work when that thread
/// asks for events, so the kernel never interrupts the loop to post them. No SQPOLL: its kernel thread would burn a
/// core that, on a two-core machine, the server under test needs.
/// </summary>
/// <remarks>
/// Memory ordering follows liburing: the kernel writes the SQ head and the CQ tail (read with <see cref="Volatile.Read(ref readonly uint)"/>);
/// this thread writes the SQ tail, the CQ head and the buffer ring's tail (published with <see cref="Volatile.Write(ref uint, uint)"/>,
/// a release store, after the entries they cover are written).
/// </remarks>
internal sealed unsafe class UringRing : IDisposable
{
    private static readonly Lazy<bool> s_available = new(Probe);

    private readonly int _fd;
    private readonly byte* _sqRing;
    private readonly nuint _sqRingSize;
    private readonly byte* _cqRing;
    private readonly nuint _cqRingSize;
    private readonly IoUringSqe* _sqes;
    private readonly nuint _sqesSize;
    private readonly uint* _sqHead;
    private readonly uint* _sqTail;
    private readonly uint _sqMask;
    private readonly uint _sqEntries;
    private readonly uint* _cqHead;
    private readonly uint* _cqTail;
    private readonly uint _cqMask;
    private readonly IoUringCqe* _cqes;
    private uint _sqLocalTail;
    private bool _filesRegistered;

    private IoUringBuf* _bufRing;
    private nuint _bufRingBytes;
    private byte* _buffers;
    private uint _bufMask;
    private ushort _bufTail;
    private int _bufSize;

    private UringRing(int fd, in IoUringParams p)
    {
        _fd = fd;
        _sqRingSize = p.SqOff.Array + (p.SqEntries * sizeof(uint));
        _cqRingSize = p.CqOff.Cqes + (p.CqEntries * (uint)sizeof(IoUringCqe));
        var single = (p.Features & IORING_FEAT_SINGLE_MMAP) != 0;
        if (single)
        {
            _sqRingSize = _cqRingSize = Math.Max(_sqRingSize, _cqRingSize);
        }

        _sqRing = Map(_sqRingSize, IORING_OFF_SQ_RING);
        _cqRing = single ? _sqRing : Map(_cqRingSize, IORING_OFF_CQ_RING);
        _sqesSize = p.SqEntries * (nuint)sizeof(IoUringSqe);
        _sqes = (IoUringSqe*)Map(_sqesSize, IORING_OFF_SQES);

        _sqHead = (uint*)(_sqRing + p.SqOff.Head);
        _sqTail = (uint*)(_sqRing + p.SqOff.Tail);
        _sqMask = *(uint*)(_sqRing + p.SqOff.RingMask);
        _sqEntries = p.SqEntries;
        _cqHead = (uint*)(_cqRing + p.CqOff.Head);
        _cqTail = (uint*)(_cqRing + p.CqOff.Tail);
        _cqMask = *(uint*)(_cqRing + p.CqOff.RingMask);
        _cqes = (IoUringCqe*)(_cqRing + p.CqOff.Cqes);
        _sqLocalTail = *_sqTail;

        // The SQ array maps ring slots to SQEs; SQEs are always filled in slot order, so the map is the identity, set once.
        var array = (uint*)(_sqRing + p.SqOff.Array);
        for (uint i = 0; i < p.SqEntries; i++)
        {
            array[i] = i;
        }
    }

    /// <summary>True when this kernel sets up a ring the way the load generator uses it (Linux 6.1 or later, not disabled).</summary>
    public static bool IsAvailable => s_available.Value;

    private static bool Probe()
    {
        if (!IsSupported)
        {
            return false;
        }

        var p = new IoUringParams { Flags = IORING_SETUP_SINGLE_ISSUER | IORING_SETUP_DEFER_TASKRUN };
        var fd = IoUringSetup(4, &p);
        if (fd < 0)
        {
            return false;
        }

        Close(fd);
        return (p.Features & (IORING_FEAT_EXT_ARG | IORING_FEAT_NODROP)) == (IORING_FEAT_EXT_ARG | IORING_FEAT_NODROP);
    }

    /// <summary>Sets up a ring on the calling thread, which becomes its only submitter.</summary>
    /// <exception cref="InvalidOperationException">io_uring_setup or mmap failed.</exception>
    public static UringRing Create(uint sqEntries, uint cqEntries)
    {
        var p = new IoUringParams
        {
            Flags = IORING_SETUP_SINGLE_ISSUER | IORING_SETUP_DEFER_TASKRUN | IORING_SETUP_COOP_TASKRUN | IORING_SETUP_CQSIZE,
            CqEntries = cqEntries,
        };
        var fd = IoUringSetup(sqEntries, &p);
        if (fd < 0)
        {
            // COOP_TASKRUN is only a hint with DEFER_TASKRUN; kernels that refuse the combination take the ring without it.
            p = new IoUringParams { Flags = IORING_SETUP_SINGLE_ISSUER | IORING_SETUP_DEFER_TASKRUN | IORING_SETUP_CQSIZE, CqEntries = cqEntries };
            fd = IoUringSetup(sqEntries, &p);
        }

        if (fd < 0)
        {
            throw new InvalidOperationException($"io_uring_setup failed: {Marshal.GetPInvokeErrorMessage(LastError)}");
        }

        try
        {
            return new UringRing(fd, p);
        }
        catch
        {
            Close(fd);
            throw;
        }
    }

    private byte* Map(nuint size, long offset)
    {
        var p = Mmap(null, size, PROT_READ | PROT_WRITE, MAP_SHARED | MAP_POPULATE, _fd, offset);
        if (p == (void*)-1)
        {
            throw new InvalidOperationException($"mmap of the io_uring failed: {Marshal.GetPInvokeErrorMessage(LastError)}");
        }

        return (byte*)p;
    }

    /// <summary>A zeroed SQE to fill; when the SQ is full, what is queued is submitted first.</summary>
    public IoUringSqe* NextSqe()
    {
        for (var tries = 0; _sqLocalTail - Volatile.Read(ref *_sqHead) >= _sqEntries; tries++)
        {
            if (tries == 1000)
            {
                throw new InvalidOperationException("io_uring: the kernel took no submission in 1,000 tries");
            }

            Enter(0, null);
        }

        var sqe = _sqes + (_sqLocalTail & _sqMask);
        *sqe = default;
        _sqLocalTail++;
        return sqe;
    }

    /// <summary>
    /// Submits every queued SQE in one io_uring_enter and, with a timeout, waits up to it for at least one completion.
    /// Returns false when the wait timed out or was interrupted; throws on any other failure.
    /// </summary>
    public bool Enter(uint minComplete, KernelTimespec* timeout)
    {
        if (_bufRing is not null)
        {
            PublishBuffers();
        }

        Volatile.Write(ref *_sqTail, _sqLocalTail);
        var toSubmit = _sqLocalTail - Volatile.Read(ref *_sqHead);
        int rc;
        if (minComplete > 0)
        {
            var arg = new IoUringGeteventsArg { Ts = (ulong)timeout };
            rc = IoUringEnter(_fd, toSubmit, minComplete, IORING_ENTER_GETEVENTS | IORING_ENTER_EXT_ARG, &arg, sizeof(IoUringGeteventsArg));
        }
        else
        {
            rc = IoUringEnter(_fd, toSubmit, 0, 0, null, 0);
        }

        if (rc >= 0)
        {
            return true;
        }

        var errno = LastError;
        if (errno is ETIME or EINTR or EAGAIN or EBUSY)
        {
            // EAGAIN/EBUSY: the kernel is short of memory for requests or holds overflowed completions; reaping and
            // entering again is the documented answer.
            return false;
        }

        throw new InvalidOperationException($"io_uring_enter failed: {Marshal.GetPInvokeErrorMessage(errno)}");
    }

    /// <summary>The first unread completion's index; read completions up to <see cref="CqTail"/>, then <see cref="CqAdvance"/>.</summary>
    public uint CqHead => *_cqHead;

    public uint CqTail => Volatile.Read(ref *_cqTail);

    public IoUringCqe* Cqe(uint index) => _cqes + (index & _cqMask);

    public void CqAdvance(uint head) => Volatile.Write(ref *_cqHead, head);

    /// <summary>Registers the sockets: operations then name a socket by its index (IOSQE_FIXED_FILE), with no fdget per call. -1 leaves a slot empty.</summary>
    public void RegisterFiles(int* fds, uint count)
    {
        if (IoUringRegister(_fd, IORING_REGISTER_FILES, fds, count) != 0)
        {
            throw new InvalidOperationException($"io_uring: registering {count} sockets failed: {Marshal.GetPInvokeErrorMessage(LastError)}");
        }

        _filesRegistered = true;
    }

    /// <summary>Empties a registered slot, so the ring's reference no longer keeps a closed socket open.</summary>
    public void UnregisterFile(int index)
    {
        if (!_filesRegistered)
        {
            return;
        }

        var none = -1;
        var update = new IoUringFilesUpdate { Offset = (uint)index, Fds = (ulong)&none };
        IoUringRegister(_fd, IORING_REGISTER_FILES_UPDATE, &update, 1);
    }

    /// <summary>
    /// Sets up provided-buffer group <paramref name="group"/>: <paramref name="count"/> buffers of <paramref name="size"/>
    /// bytes that a multishot recv fills one per completion, handed back with <see cref="RecycleBuffer"/>.
    /// </summary>
    public void SetupBuffers(ushort group, int count, int size)
    {
        _bufRingBytes = (nuint)(count * sizeof(IoUringBuf));
        _bufRing = (IoUringBuf*)NativeMemory.AlignedAlloc(Math.Max(_bufRingBytes, 4096), 4096);
        NativeMemory.Clear(_bufRing, _bufRingBytes);
        _buffers = (byte*)NativeMemory.Alloc((nuint)count * (nuint)size);
        _bufMask = (uint)count - 1;
        _bufSize = size;
        var reg = new IoUringBufReg { RingAddr = (ulong)_bufRing, RingEntries = (uint)count, Bgid = group };
        if (IoUringRegister(_fd, IORING_REGISTER_PBUF_RING, &reg, 1) != 0)
        {
            throw new InvalidOperationException($"io_uring: registering the receive buffers failed: {Marshal.GetPInvokeErrorMessage(LastError)}");
        }

        for (var i = 0; i < count; i++)
        {
            RecycleBuffer(i);
        }

        PublishBuffers();
    }

    public int BufferSize => _bufSize;

    public byte* Buffer(int id) => _buffers + ((nint)id * _bufSize);

    /// <summary>Queues buffer <paramref name="id"/> for the kernel again; visible to it after <see cref="PublishBuffers"/>.</summary>
    public void RecycleBuffer(int id)
    {
        var b = _bufRing + (_bufTail & _bufMask);
        b->Addr = (ulong)Buffer(id);
        b->Len = (uint)_bufSize;
        b->Bid = (ushort)id;
        _bufTail++;
    }

    public void PublishBuffers() => Volatile.Write(ref *(ushort*)((byte*)_bufRing + 14), _bufTail);

    public void Dispose()
    {
        // Closing the ring cancels what is still in flight and drops its references to the registered sockets.
        Munmap(_sqes, _sqesSize);
        if (_cqRing != _sqRing)
        {
            Munmap(_cqRing, _cqRingSize);
        }

        Munmap(_sqRing, _sqRingSize);
        Close(_fd);
        NativeMemory.AlignedFree(_bufRing);
        _bufRing = null;
        NativeMemory.Free(_buffers);
        _buffers = null;
    }
}
