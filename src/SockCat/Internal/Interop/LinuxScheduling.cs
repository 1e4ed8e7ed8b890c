using System.Runtime.InteropServices;

namespace SockCat.Internal.Interop;

/// <summary>The scheduling policy of the calling thread; the BCL sets priorities, not Linux policies.</summary>
internal static unsafe partial class LinuxScheduling
{
    private const string Libc = "libc";
    private const int SCHED_BATCH = 3;

    [StructLayout(LayoutKind.Sequential)]
    private struct SchedParam
    {
        public int Priority;
    }

    [LibraryImport(Libc, EntryPoint = "sched_setscheduler", SetLastError = true)]
    private static partial int SchedSetScheduler(int pid, int policy, SchedParam* param);

    /// <summary>
    /// Puts the calling thread (pid 0 is the caller's thread on Linux, where a policy is per thread) under SCHED_BATCH:
    /// its nice value stays, only wakeup preemption goes. Needs no privilege. False, with errno, when refused.
    /// </summary>
    public static bool MakeCallingThreadBatch()
    {
        var param = new SchedParam { Priority = 0 };
        return SchedSetScheduler(0, SCHED_BATCH, &param) == 0;
    }
}
