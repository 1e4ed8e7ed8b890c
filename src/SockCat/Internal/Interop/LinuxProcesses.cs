using System.Runtime.InteropServices;

namespace SockCat.Internal.Interop;

/// <summary>
/// The process calls the exec service makes directly: the BCL signals one process (<c>Process.Kill</c> sends SIGKILL,
/// with no SIGTERM first) and knows nothing of process groups, sessions or orphans re-parented to this process.
/// </summary>
internal static partial class LinuxProcesses
{
    private const string Libc = "libc";

    public const int SIGKILL = 9;
    public const int SIGTERM = 15;
    public const int SIGCONT = 18;

    public const int WNOHANG = 1;

    private const int PR_SET_CHILD_SUBREAPER = 36;

    [LibraryImport(Libc, SetLastError = true)]
    public static partial int kill(int pid, int sig);

    [LibraryImport(Libc, SetLastError = true)]
    public static partial int waitpid(int pid, out int status, int options);

    [LibraryImport(Libc, SetLastError = true)]
    private static partial int prctl(int option, nuint arg2, nuint arg3, nuint arg4, nuint arg5);

    /// <summary>
    /// Makes this process the reaper of its descendants' orphans, so that a grandchild whose parent has died is
    /// re-parented here (and reaped) rather than to PID 1, which in a container often reaps nothing.
    /// </summary>
    public static bool BecomeSubreaper() => prctl(PR_SET_CHILD_SUBREAPER, 1, 0, 0, 0) == 0;
}
