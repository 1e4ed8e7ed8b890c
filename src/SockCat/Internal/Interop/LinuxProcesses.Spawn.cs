using System.Runtime.InteropServices;

namespace SockCat.Internal.Interop;

/// <summary>
/// posix_spawn and what goes with it, for the exec service's programs: System.Diagnostics.Process can put a program in
/// neither a process group nor a session of its own (the BCL forks and execs with neither), and its SIGCHLD handling
/// reaps only the children it started, so the service starts its own and waits for them through pidfds.
/// </summary>
internal static unsafe partial class LinuxProcesses
{
    // glibc's <spawn.h>; POSIX_SPAWN_SETSID since glibc 2.26.
    public const short POSIX_SPAWN_SETPGROUP = 0x02;
    public const short POSIX_SPAWN_SETSIGDEF = 0x04;
    public const short POSIX_SPAWN_SETSIGMASK = 0x08;
    public const short POSIX_SPAWN_SETSID = 0x80;

    /// <summary>
    /// The opaque types are allocated at this size: glibc's are 336 (posix_spawnattr_t), 80 (posix_spawn_file_actions_t)
    /// and 128 (sigset_t) bytes on 64-bit Linux; a generous buffer keeps a wrong guess from writing past the end.
    /// </summary>
    public const int OpaqueSize = 1024;

    public const int O_RDWR = 2;
    public const int O_NOCTTY = 0x100;
    public const int O_CLOEXEC = 0x80000;
    public const int F_DUPFD_CLOEXEC = 1030;

    public const int ECHILD = 10;
    public const int EINTR = 4;

    // waitid(2): P_PIDFD since Linux 5.4.
    public const int P_PIDFD = 3;
    public const int WEXITED = 4;
    public const int CLD_EXITED = 1;
    public const int CLD_KILLED = 2;
    public const int CLD_DUMPED = 3;

    /// <summary>
    /// siginfo_t as waitid fills it for a child on 64-bit Linux: si_signo, si_errno, si_code, padding, then the
    /// _sigchld member of the union at 16 (si_pid, si_uid, si_status). 128 bytes in all.
    /// </summary>
    [StructLayout(LayoutKind.Explicit, Size = 128)]
    public struct SigInfo
    {
        [FieldOffset(8)] public int Code;
        [FieldOffset(16)] public int Pid;
        [FieldOffset(24)] public int Status;
    }

    /// <summary>posix_spawnp(3): returns an error number (0 on success) rather than setting errno.</summary>
    [LibraryImport(Libc, EntryPoint = "posix_spawnp")]
    public static partial int PosixSpawnp(int* pid, byte* file, void* fileActions, void* attributes, byte** argv, byte** envp);

    [LibraryImport(Libc, EntryPoint = "posix_spawn_file_actions_init")]
    public static partial int FileActionsInit(void* actions);

    [LibraryImport(Libc, EntryPoint = "posix_spawn_file_actions_destroy")]
    public static partial int FileActionsDestroy(void* actions);

    [LibraryImport(Libc, EntryPoint = "posix_spawn_file_actions_adddup2")]
    public static partial int FileActionsAddDup2(void* actions, int fd, int newFd);

    [LibraryImport(Libc, EntryPoint = "posix_spawnattr_init")]
    public static partial int AttrInit(void* attributes);

    [LibraryImport(Libc, EntryPoint = "posix_spawnattr_destroy")]
    public static partial int AttrDestroy(void* attributes);

    [LibraryImport(Libc, EntryPoint = "posix_spawnattr_setflags")]
    public static partial int AttrSetFlags(void* attributes, short flags);

    [LibraryImport(Libc, EntryPoint = "posix_spawnattr_setsigmask")]
    public static partial int AttrSetSigMask(void* attributes, void* mask);

    [LibraryImport(Libc, EntryPoint = "posix_spawnattr_setsigdefault")]
    public static partial int AttrSetSigDefault(void* attributes, void* signals);

    [LibraryImport(Libc, EntryPoint = "posix_spawnattr_setpgroup")]
    public static partial int AttrSetPGroup(void* attributes, int pgroup);

    [LibraryImport(Libc, EntryPoint = "sigemptyset", SetLastError = true)]
    public static partial int SigEmptySet(void* set);

    [LibraryImport(Libc, EntryPoint = "sigfillset", SetLastError = true)]
    public static partial int SigFillSet(void* set);

    [LibraryImport(Libc, EntryPoint = "pipe2", SetLastError = true)]
    public static partial int Pipe2(int* fds, int flags);

    [LibraryImport(Libc, EntryPoint = "fcntl", SetLastError = true)]
    public static partial int Fcntl(int fd, int cmd, int arg);

    [LibraryImport(Libc, EntryPoint = "open", SetLastError = true, StringMarshalling = StringMarshalling.Utf8)]
    public static partial int Open(string path, int flags);

    [LibraryImport(Libc, EntryPoint = "close", SetLastError = true)]
    public static partial int Close(int fd);

    [LibraryImport(Libc, EntryPoint = "waitid", SetLastError = true)]
    public static partial int WaitId(int idType, int id, SigInfo* info, int options);

    /// <summary>pidfd_open(2) through syscall(2): glibc has a wrapper only since 2.36.</summary>
    public static int PidfdOpen(int pid) => (int)Syscall(SYS_pidfd_open, pid, 0, 0, 0, 0, 0);

    // The same number on x86-64 and arm64 (the syscalls added since 5.x share one table).
    private const nint SYS_pidfd_open = 434;

    [LibraryImport(Libc, EntryPoint = "syscall", SetLastError = true)]
    private static partial nint Syscall(nint number, nint a1, nint a2, nint a3, nint a4, nint a5, nint a6);
}
