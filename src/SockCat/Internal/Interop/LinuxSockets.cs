using System.Runtime.InteropServices;

namespace SockCat.Internal.Interop;

/// <summary>
/// The Linux calls the epoll engine and the load generator make directly. System.Net.Sockets makes 3–4 syscalls
/// per message where a C loop makes 2, and hops to the thread pool on every completion; measured on this machine
/// kind that costs 30–45% of ping-pong throughput (DESIGN.md, "The engine owns its transport"). No maintained
/// library exposes a synchronous epoll loop, so these are declared here, and only here: SockCat.Bench compiles this
/// folder's shared files into itself rather than declaring its own (see its csproj).
/// </summary>
internal static unsafe partial class LinuxSockets
{
    private const string Libc = "libc";

    public const int EPOLL_CLOEXEC = 0x80000;
    public const int EPOLL_CTL_ADD = 1;
    public const int EPOLL_CTL_DEL = 2;
    public const int EPOLL_CTL_MOD = 3;

    public const uint EPOLLIN = 0x001;
    public const uint EPOLLOUT = 0x004;
    public const uint EPOLLERR = 0x008;
    public const uint EPOLLHUP = 0x010;
    public const uint EPOLLRDHUP = 0x2000;
    public const uint EPOLLEXCLUSIVE = 1u << 28;

    public const int SOCK_STREAM = 1;
    public const int SOCK_NONBLOCK = 0x800;
    public const int SOCK_CLOEXEC = 0x80000;
    public const int AF_UNIX = 1;
    public const int AF_INET = 2;
    public const int AF_INET6 = 10;

    public const int SHUT_RD = 0;
    public const int SHUT_WR = 1;
    public const int SHUT_RDWR = 2;

    public const int MSG_DONTWAIT = 0x40;
    public const int MSG_NOSIGNAL = 0x4000;

    public const int SOL_SOCKET = 1;
    public const int SO_ERROR = 4;
    public const int SO_LINGER = 13;
    public const int IPPROTO_TCP = 6;
    public const int TCP_INFO = 11;
    public const int TCP_NODELAY = 1;

    public const int EINTR = 4;
    public const int EAGAIN = 11;
    public const int ENFILE = 23;
    public const int EMFILE = 24;
    public const int ECONNRESET = 104;
    public const int ENOBUFS = 105;
    public const int ENOMEM = 12;
    public const int EPIPE = 32;
    public const int EINPROGRESS = 115;
    public const int ECONNABORTED = 103;

    public const int RLIMIT_NOFILE = 7;

    /// <summary>
    /// struct epoll_event. On x86-64 the kernel declares it packed (12 bytes: events at 0, data at 4); elsewhere it
    /// has natural alignment (16 bytes). The engine checks <see cref="IsSupported"/> before using either.
    /// </summary>
    [StructLayout(LayoutKind.Explicit, Size = 12)]
    public struct EpollEvent
    {
        [FieldOffset(0)] public uint Events;
        [FieldOffset(4)] public ulong Data;
    }

    [StructLayout(LayoutKind.Sequential)]
    public struct RLimit
    {
        public ulong Current;
        public ulong Max;
    }

    /// <summary>True where the declarations above match the kernel's ABI: Linux on x86-64.</summary>
    public static bool IsSupported =>
        OperatingSystem.IsLinux() && RuntimeInformation.ProcessArchitecture == Architecture.X64;

    [LibraryImport(Libc, EntryPoint = "epoll_create1", SetLastError = true)]
    public static partial int EpollCreate1(int flags);

    [LibraryImport(Libc, EntryPoint = "epoll_ctl", SetLastError = true)]
    public static partial int EpollCtl(int epfd, int op, int fd, EpollEvent* ev);

    /// <summary>epoll_wait(2), entered through syscall(2): see <see cref="Syscall"/>.</summary>
    public static int EpollWait(int epfd, EpollEvent* events, int maxEvents, int timeoutMs)
        => (int)Syscall(SYS_epoll_wait, epfd, (nint)events, maxEvents, timeoutMs, 0, 0);

    [LibraryImport(Libc, EntryPoint = "accept4", SetLastError = true)]
    public static partial int Accept4(int fd, byte* addr, int* addrLen, int flags);

    /// <summary>
    /// recv(2) as recvfrom(2) with no address, entered through syscall(2) (see <see cref="Syscall"/>) without a GC
    /// transition (see <see cref="SyscallNoTransition"/>). Only for non-blocking sockets or MSG_DONTWAIT.
    /// </summary>
    public static nint Recv(int fd, byte* buf, nint len, int flags)
    {
        var n = SyscallNoTransition(SYS_recvfrom, fd, (nint)buf, len, flags, 0, 0);
        if (n < 0)
        {
            Marshal.SetLastPInvokeError(Marshal.GetLastSystemError());
        }

        return n;
    }

    /// <summary>
    /// send(2) as sendto(2) with no address, entered through syscall(2) (see <see cref="Syscall"/>) without a GC
    /// transition (see <see cref="SyscallNoTransition"/>). Only for non-blocking sockets or MSG_DONTWAIT.
    /// </summary>
    public static nint Send(int fd, byte* buf, nint len, int flags)
    {
        var n = SyscallNoTransition(SYS_sendto, fd, (nint)buf, len, flags, 0, 0);
        if (n < 0)
        {
            Marshal.SetLastPInvokeError(Marshal.GetLastSystemError());
        }

        return n;
    }

    // x86-64 numbers (IsSupported holds the engine to that architecture).
    private const nint SYS_recvfrom = 45;
    private const nint SYS_sendto = 44;
    private const nint SYS_epoll_wait = 232;

    /// <summary>
    /// glibc's send, recv and epoll_wait are cancellation points: in a multi-threaded process, which every .NET
    /// process is, each call brackets the syscall with pthread_enable/disable_asynccancel. That is 35 ns of a 4.4 µs
    /// ping-pong message (perf, docs/performance.md), a cost a single-threaded C loop never pays. syscall(2) is not a
    /// cancellation point, so the per-message calls enter the kernel through it. Declared with six fixed arguments:
    /// on x86-64 a variadic callee reads integer arguments from the same registers, and glibc's syscall reads all six.
    /// </summary>
    [LibraryImport(Libc, EntryPoint = "syscall", SetLastError = true)]
    private static partial nint Syscall(nint number, nint a1, nint a2, nint a3, nint a4, nint a5, nint a6);

    /// <summary>
    /// <see cref="Syscall"/> for the per-message calls that cannot block (recv and send on a non-blocking socket): no
    /// GC transition, and errno read straight after the call only when it failed, instead of SetLastError's save and
    /// restore around every call. After each return from the kernel the transition's frame and trap checks and the
    /// errno shuffle (two calls into libSystem.Native and a thread-local store) touched memory the syscall had just
    /// evicted: perf put 3% of the echo server's samples on those few instructions. The errno read is the sequence that
    /// LibraryImport generates for SetLastError with SuppressGCTransition (the call, the JIT's GC poll, errno), minus
    /// the save and restore on calls that succeed.
    /// </summary>
    [LibraryImport(Libc, EntryPoint = "syscall")]
    [SuppressGCTransition]
    private static partial nint SyscallNoTransition(nint number, nint a1, nint a2, nint a3, nint a4, nint a5, nint a6);

    [LibraryImport(Libc, EntryPoint = "socket", SetLastError = true)]
    public static partial int Socket(int domain, int type, int protocol);

    [LibraryImport(Libc, EntryPoint = "connect", SetLastError = true)]
    public static partial int Connect(int fd, byte* addr, int addrLen);

    [LibraryImport(Libc, EntryPoint = "bind", SetLastError = true)]
    public static partial int Bind(int fd, byte* addr, int addrLen);

    [LibraryImport(Libc, EntryPoint = "shutdown", SetLastError = true)]
    public static partial int Shutdown(int fd, int how);

    [LibraryImport(Libc, EntryPoint = "close", SetLastError = true)]
    public static partial int Close(int fd);

    [LibraryImport(Libc, EntryPoint = "setsockopt", SetLastError = true)]
    public static partial int SetSockOpt(int fd, int level, int name, void* value, int len);

    [LibraryImport(Libc, EntryPoint = "getsockopt", SetLastError = true)]
    public static partial int GetSockOpt(int fd, int level, int name, void* value, int* len);

    [LibraryImport(Libc, EntryPoint = "getrlimit", SetLastError = true)]
    public static partial int GetRLimit(int resource, RLimit* limit);

    [LibraryImport(Libc, EntryPoint = "setrlimit", SetLastError = true)]
    public static partial int SetRLimit(int resource, RLimit* limit);

    [LibraryImport(Libc, EntryPoint = "eventfd", SetLastError = true)]
    public static partial int EventFd(uint initval, int flags);

    [LibraryImport(Libc, EntryPoint = "write", SetLastError = true)]
    public static partial nint Write(int fd, void* buf, nint count);

    [LibraryImport(Libc, EntryPoint = "read", SetLastError = true)]
    public static partial nint Read(int fd, void* buf, nint count);

    public const int F_GETFL = 3;
    public const int F_SETFL = 4;
    public const int F_DUPFD_CLOEXEC = 1030;
    public const int O_NONBLOCK = 0x800;

    /// <summary>fcntl(2) with an int argument (variadic: on x86-64 the callee reads it from the same register).</summary>
    [LibraryImport(Libc, EntryPoint = "fcntl", SetLastError = true)]
    public static partial int Fcntl(int fd, int cmd, int arg);

    /// <summary>errno of the last call above (they all set it).</summary>
    public static int LastError => Marshal.GetLastPInvokeError();

    /// <summary>Sets an int socket option, returning the errno on failure and 0 on success.</summary>
    public static int SetIntOption(int fd, int level, int name, int value)
        => SetSockOpt(fd, level, name, &value, sizeof(int)) == 0 ? 0 : LastError;
}
