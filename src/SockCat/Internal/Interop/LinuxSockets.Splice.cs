namespace SockCat.Internal.Interop;

/// <summary>splice(2) and the pipe it moves pages through: the epoll relay's zero-copy path (RelayOptions.Splice).</summary>
internal static unsafe partial class LinuxSockets
{
    public const int SPLICE_F_MOVE = 1;
    public const int SPLICE_F_NONBLOCK = 2;
    public const int O_CLOEXEC = 0x80000;
    public const int F_SETPIPE_SZ = 1031;
    public const int F_GETPIPE_SZ = 1032;
    public const int EINVAL = 22;

    private const nint SYS_splice = 275;

    /// <summary>splice(2) between two descriptors at their current positions, through syscall(2) as recv and send (no cancellation point).</summary>
    public static nint Splice(int fdIn, int fdOut, nint length, int flags)
        => Syscall(SYS_splice, fdIn, 0, fdOut, 0, length, flags);

    [System.Runtime.InteropServices.LibraryImport(Libc, EntryPoint = "pipe2", SetLastError = true)]
    public static partial int Pipe2(int* fds, int flags);

    // fcntl(2) and O_NONBLOCK are declared in LinuxSockets.cs (AttachDescriptor uses them too).
}
