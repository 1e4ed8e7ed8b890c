using System.Runtime.InteropServices;

namespace SockCat.Cli.Tests;

/// <summary>Real signals to a process the test started, as a terminal's Ctrl+C or a service manager's stop sends them.</summary>
internal static partial class Signals
{
    public const int SigInt = 2;
    public const int SigTerm = 15;

    public static void Send(int pid, int signal) => Assert.Equal(0, Kill(pid, signal));

    [LibraryImport("libc", EntryPoint = "kill", SetLastError = true)]
    private static partial int Kill(int pid, int signal);
}
