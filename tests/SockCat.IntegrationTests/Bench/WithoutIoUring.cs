using System.Diagnostics;
using System.Runtime.InteropServices;

namespace SockCat.IntegrationTests.Bench;

/// <summary>
/// Starts a process for which the kernel refuses io_uring, as a CI kernel with <c>kernel.io_uring_disabled = 2</c> (or a
/// container's seccomp profile) does: io_uring_setup fails with EPERM. A seccomp filter is installed on a thread of its
/// own, which then starts the process; the child inherits the filter (fork copies the calling thread's), and no other
/// thread of the test host has it.
/// </summary>
internal static unsafe partial class WithoutIoUring
{
    private const int PR_SET_SECCOMP = 22;
    private const int PR_SET_NO_NEW_PRIVS = 38;
    private const nuint SECCOMP_MODE_FILTER = 2;
    private const uint SECCOMP_RET_ALLOW = 0x7fff_0000;
    private const uint SECCOMP_RET_ERRNO = 0x0005_0000;
    private const uint EPERM = 1;

    // io_uring_setup is 425 on x86-64 and arm64 alike (it came after the syscall tables were unified).
    private const uint IoUringSetup = 425;
    private const uint AUDIT_ARCH_X86_64 = 0xC000_003E;
    private const uint AUDIT_ARCH_AARCH64 = 0xC000_00B7;

    // Classic BPF opcodes: load a word of seccomp_data, jump if equal to a constant, return a constant.
    private const ushort LoadWord = 0x20;
    private const ushort JumpIfEqual = 0x15;
    private const ushort Return = 0x06;

    public static Process Start(ProcessStartInfo info)
    {
        Process? process = null;
        Exception? failure = null;
        var thread = new Thread(() =>
        {
            try
            {
                RefuseIoUringOnThisThread();
                process = Process.Start(info);
            }
            catch (Exception e)
            {
                failure = e;
            }
        });
        thread.Start();
        thread.Join();
        return process ?? throw new InvalidOperationException("could not start a process without io_uring", failure);
    }

    private static void RefuseIoUringOnThisThread()
    {
        var arch = RuntimeInformation.ProcessArchitecture == Architecture.Arm64 ? AUDIT_ARCH_AARCH64 : AUDIT_ARCH_X86_64;
        // seccomp_data: int nr at offset 0, u32 arch at offset 4. A call of another architecture is let through.
        var program = stackalloc SockFilter[]
        {
            new(LoadWord, 0, 0, 4),
            new(JumpIfEqual, 0, 3, arch),
            new(LoadWord, 0, 0, 0),
            new(JumpIfEqual, 0, 1, IoUringSetup),
            new(Return, 0, 0, SECCOMP_RET_ERRNO | EPERM),
            new(Return, 0, 0, SECCOMP_RET_ALLOW),
        };
        var fprog = new SockFprog { Length = 6, Filter = program };

        // Without CAP_SYS_ADMIN a filter needs no_new_privs; both are per thread, so the test host's other threads keep neither.
        if (Prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) != 0 || Prctl(PR_SET_SECCOMP, SECCOMP_MODE_FILTER, (nuint)(&fprog), 0, 0) != 0)
        {
            throw new InvalidOperationException($"seccomp filter refused: {Marshal.GetPInvokeErrorMessage(Marshal.GetLastPInvokeError())}");
        }
    }

    [LibraryImport("libc", EntryPoint = "prctl", SetLastError = true)]
    private static partial int Prctl(int option, nuint arg2, nuint arg3, nuint arg4, nuint arg5);

    private readonly struct SockFilter(ushort code, byte jumpIfTrue, byte jumpIfFalse, uint k)
    {
        public readonly ushort Code = code;
        public readonly byte JumpIfTrue = jumpIfTrue;
        public readonly byte JumpIfFalse = jumpIfFalse;
        public readonly uint K = k;
    }

    private struct SockFprog
    {
        public ushort Length;
        public SockFilter* Filter;
    }
}
