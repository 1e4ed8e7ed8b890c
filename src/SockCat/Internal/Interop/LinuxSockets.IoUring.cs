using System.Runtime.InteropServices;

namespace SockCat.Internal.Interop;

// io_uring, for the load generator's traffic (src/SockCat.Bench/UringRing.cs); compiled into SockCat.Bench only. Why: with epoll, `sockcat bench pingpong` made
// exactly the syscalls the C client makes (one recv and one send per message, one epoll_wait per ~80 messages) and
// still drove 0.95x of its load against the C server. perf put the rest of the gap in the kernel's tax on a
// multi-threaded process, which every .NET process is: with a shared fd table each socket syscall takes an atomic file
// reference in fdget (+20 ns), plus costs spread over the syscall path. A ring with registered files does no fdget
// per operation and enters the kernel once per loop turn for all connections. Layouts follow include/uapi/linux/io_uring.h;
// x86-64 only, like the rest of this class (IsSupported).
internal static unsafe partial class LinuxSockets
{
    private const nint SYS_io_uring_setup = 425;
    private const nint SYS_io_uring_enter = 426;
    private const nint SYS_io_uring_register = 427;

    public const uint IORING_SETUP_CQSIZE = 1u << 3;
    public const uint IORING_SETUP_COOP_TASKRUN = 1u << 8;
    public const uint IORING_SETUP_SINGLE_ISSUER = 1u << 12;
    public const uint IORING_SETUP_DEFER_TASKRUN = 1u << 13;

    public const uint IORING_FEAT_SINGLE_MMAP = 1u << 0;
    public const uint IORING_FEAT_NODROP = 1u << 1;
    public const uint IORING_FEAT_EXT_ARG = 1u << 8;

    public const uint IORING_ENTER_GETEVENTS = 1u << 0;
    public const uint IORING_ENTER_EXT_ARG = 1u << 3;

    public const uint IORING_REGISTER_FILES = 2;
    public const uint IORING_REGISTER_FILES_UPDATE = 6;
    public const uint IORING_REGISTER_PBUF_RING = 22;

    public const byte IORING_OP_SEND = 26;
    public const byte IORING_OP_RECV = 27;

    public const byte IOSQE_FIXED_FILE = 1 << 0;
    public const byte IOSQE_BUFFER_SELECT = 1 << 5;
    public const byte IOSQE_CQE_SKIP_SUCCESS = 1 << 6;

    /// <summary>sqe->ioprio for IORING_OP_RECV: stay armed, one completion per chunk received.</summary>
    public const ushort IORING_RECV_MULTISHOT = 1 << 1;

    public const uint IORING_CQE_F_BUFFER = 1u << 0;
    public const uint IORING_CQE_F_MORE = 1u << 1;
    public const int IORING_CQE_BUFFER_SHIFT = 16;

    public const long IORING_OFF_SQ_RING = 0;
    public const long IORING_OFF_CQ_RING = 0x8000000;
    public const long IORING_OFF_SQES = 0x10000000;

    public const int MSG_WAITALL = 0x100;
    public const int ETIME = 62;
    public const int EBUSY = 16;

    public const int PROT_READ = 0x1;
    public const int PROT_WRITE = 0x2;
    public const int MAP_SHARED = 0x01;
    public const int MAP_POPULATE = 0x8000;

    /// <summary>struct io_sqring_offsets (40 bytes): where the SQ ring's fields sit in its mapping.</summary>
    [StructLayout(LayoutKind.Explicit, Size = 40)]
    public struct IoSqringOffsets
    {
        [FieldOffset(0)] public uint Head;
        [FieldOffset(4)] public uint Tail;
        [FieldOffset(8)] public uint RingMask;
        [FieldOffset(12)] public uint RingEntries;
        [FieldOffset(16)] public uint Flags;
        [FieldOffset(20)] public uint Dropped;
        [FieldOffset(24)] public uint Array;
        [FieldOffset(28)] public uint Resv1;
        [FieldOffset(32)] public ulong UserAddr;
    }

    /// <summary>struct io_cqring_offsets (40 bytes).</summary>
    [StructLayout(LayoutKind.Explicit, Size = 40)]
    public struct IoCqringOffsets
    {
        [FieldOffset(0)] public uint Head;
        [FieldOffset(4)] public uint Tail;
        [FieldOffset(8)] public uint RingMask;
        [FieldOffset(12)] public uint RingEntries;
        [FieldOffset(16)] public uint Overflow;
        [FieldOffset(20)] public uint Cqes;
        [FieldOffset(24)] public uint Flags;
        [FieldOffset(28)] public uint Resv1;
        [FieldOffset(32)] public ulong UserAddr;
    }

    /// <summary>struct io_uring_params (120 bytes), in and out of io_uring_setup(2).</summary>
    [StructLayout(LayoutKind.Explicit, Size = 120)]
    public struct IoUringParams
    {
        [FieldOffset(0)] public uint SqEntries;
        [FieldOffset(4)] public uint CqEntries;
        [FieldOffset(8)] public uint Flags;
        [FieldOffset(12)] public uint SqThreadCpu;
        [FieldOffset(16)] public uint SqThreadIdle;
        [FieldOffset(20)] public uint Features;
        [FieldOffset(24)] public uint WqFd;
        [FieldOffset(40)] public IoSqringOffsets SqOff;
        [FieldOffset(80)] public IoCqringOffsets CqOff;
    }

    /// <summary>struct io_uring_sqe (64 bytes), the fields the send and recv operations use.</summary>
    [StructLayout(LayoutKind.Explicit, Size = 64)]
    public struct IoUringSqe
    {
        [FieldOffset(0)] public byte Opcode;
        [FieldOffset(1)] public byte Flags;
        [FieldOffset(2)] public ushort IoPrio;
        [FieldOffset(4)] public int Fd;
        [FieldOffset(8)] public ulong Off;
        [FieldOffset(16)] public ulong Addr;
        [FieldOffset(24)] public uint Len;
        [FieldOffset(28)] public uint MsgFlags;
        [FieldOffset(32)] public ulong UserData;
        [FieldOffset(40)] public ushort BufGroup;
        [FieldOffset(42)] public ushort Personality;
        [FieldOffset(44)] public int FileIndex;
        [FieldOffset(48)] public ulong Addr3;
        [FieldOffset(56)] public ulong Pad;
    }

    /// <summary>struct io_uring_cqe (16 bytes; the ring is not set up with CQE32).</summary>
    [StructLayout(LayoutKind.Explicit, Size = 16)]
    public struct IoUringCqe
    {
        [FieldOffset(0)] public ulong UserData;
        [FieldOffset(8)] public int Res;
        [FieldOffset(12)] public uint Flags;
    }

    /// <summary>struct io_uring_buf (16 bytes), one entry of a provided-buffer ring; the ring's tail overlays the first entry's resv (offset 14).</summary>
    [StructLayout(LayoutKind.Explicit, Size = 16)]
    public struct IoUringBuf
    {
        [FieldOffset(0)] public ulong Addr;
        [FieldOffset(8)] public uint Len;
        [FieldOffset(12)] public ushort Bid;
        [FieldOffset(14)] public ushort Resv;
    }

    /// <summary>struct io_uring_buf_reg (40 bytes), for IORING_REGISTER_PBUF_RING.</summary>
    [StructLayout(LayoutKind.Explicit, Size = 40)]
    public struct IoUringBufReg
    {
        [FieldOffset(0)] public ulong RingAddr;
        [FieldOffset(8)] public uint RingEntries;
        [FieldOffset(12)] public ushort Bgid;
        [FieldOffset(14)] public ushort Flags;
    }

    /// <summary>struct io_uring_files_update (16 bytes), for IORING_REGISTER_FILES_UPDATE.</summary>
    [StructLayout(LayoutKind.Explicit, Size = 16)]
    public struct IoUringFilesUpdate
    {
        [FieldOffset(0)] public uint Offset;
        [FieldOffset(4)] public uint Resv;
        [FieldOffset(8)] public ulong Fds;
    }

    /// <summary>struct io_uring_getevents_arg (24 bytes), for IORING_ENTER_EXT_ARG: a wait with a timeout.</summary>
    [StructLayout(LayoutKind.Explicit, Size = 24)]
    public struct IoUringGeteventsArg
    {
        [FieldOffset(0)] public ulong Sigmask;
        [FieldOffset(8)] public uint SigmaskSize;
        [FieldOffset(12)] public uint MinWaitUsec;
        [FieldOffset(16)] public ulong Ts;
    }

    /// <summary>struct __kernel_timespec.</summary>
    [StructLayout(LayoutKind.Sequential)]
    public struct KernelTimespec
    {
        public long Seconds;
        public long Nanoseconds;
    }

    public static int IoUringSetup(uint entries, IoUringParams* p)
        => (int)Syscall(SYS_io_uring_setup, (nint)entries, (nint)p, 0, 0, 0, 0);

    public static int IoUringEnter(int fd, uint toSubmit, uint minComplete, uint flags, void* arg, nint argSize)
        => (int)Syscall(SYS_io_uring_enter, fd, (nint)toSubmit, (nint)minComplete, (nint)flags, (nint)arg, argSize);

    public static int IoUringRegister(int fd, uint opcode, void* arg, uint count)
        => (int)Syscall(SYS_io_uring_register, fd, (nint)opcode, (nint)arg, (nint)count, 0, 0);

    [LibraryImport(Libc, EntryPoint = "mmap", SetLastError = true)]
    public static partial void* Mmap(void* addr, nuint length, int prot, int flags, int fd, long offset);

    [LibraryImport(Libc, EntryPoint = "munmap", SetLastError = true)]
    public static partial int Munmap(void* addr, nuint length);
}
