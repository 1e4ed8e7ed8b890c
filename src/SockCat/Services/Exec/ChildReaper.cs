using System.Runtime.InteropServices;
using SockCat.Internal.Interop;

namespace SockCat.Services.Exec;

/// <summary>
/// Waits for the programs <see cref="ChildProcess"/> starts and reaps them: .NET's SIGCHLD handling reaps only the
/// children System.Diagnostics.Process started, so nothing else would. One background thread for all of them, with an
/// epoll of its own over a pidfd per program (readable once the program has exited), then waitid(P_PIDFD) for its
/// status: a thread per program would cost a stack each for something that happens once.
/// </summary>
internal static unsafe class ChildReaper
{
    /// <summary>
    /// The exit code reported when the program's status was taken by someone else (waitid gives ECHILD: another
    /// waitpid(-1) in this process reaped it): it has ended, but how is unknown. Logged as "ended (exit status unknown)".
    /// </summary>
    public const int UnknownExit = -1;

    private static readonly Dictionary<int, TaskCompletionSource<int>> Waiting = [];
    private static readonly Lazy<int> Epoll = new(StartThread);

    /// <summary>Completes with the exit code of <paramref name="pid"/> (this process's child), 128 + the signal that ended it.</summary>
    public static Task<int> Watch(int pid)
    {
        var exited = new TaskCompletionSource<int>(TaskCreationOptions.RunContinuationsAsynchronously);
        var pidfd = LinuxProcesses.PidfdOpen(pid);
        if (pidfd < 0)
        {
            // ESRCH: already reaped by someone else between the spawn and here.
            exited.SetResult(UnknownExit);
            return exited.Task;
        }

        lock (Waiting)
        {
            Waiting.Add(pidfd, exited);
        }

        var ev = new LinuxSockets.EpollEvent { Events = LinuxSockets.EPOLLIN, Data = (ulong)pidfd };
        if (LinuxSockets.EpollCtl(Epoll.Value, LinuxSockets.EPOLL_CTL_ADD, pidfd, &ev) < 0)
        {
            var errno = Marshal.GetLastPInvokeError();
            lock (Waiting)
            {
                Waiting.Remove(pidfd);
            }

            LinuxProcesses.Close(pidfd);
            throw new IOException($"cannot watch the program's pidfd ({Marshal.GetPInvokeErrorMessage(errno)})");
        }

        return exited.Task;
    }

    private static int StartThread()
    {
        var epoll = LinuxSockets.EpollCreate1(LinuxSockets.EPOLL_CLOEXEC);
        if (epoll < 0)
        {
            throw new IOException($"cannot create the reaper's epoll ({Marshal.GetPInvokeErrorMessage(Marshal.GetLastPInvokeError())})");
        }

        new Thread(() => Run(epoll)) { IsBackground = true, Name = "sockcat exec reaper" }.Start();
        return epoll;
    }

    private static void Run(int epoll)
    {
        const int Batch = 16;
        var events = stackalloc LinuxSockets.EpollEvent[Batch];
        while (true)
        {
            var n = LinuxSockets.EpollWait(epoll, events, Batch, -1);
            for (var i = 0; i < n; i++)
            {
                Reap(epoll, (int)events[i].Data);
            }
        }
    }

    private static void Reap(int epoll, int pidfd)
    {
        LinuxProcesses.SigInfo info = default;
        int code;
        while (true)
        {
            if (LinuxProcesses.WaitId(LinuxProcesses.P_PIDFD, pidfd, &info, LinuxProcesses.WEXITED) == 0)
            {
                code = info.Code == LinuxProcesses.CLD_EXITED ? info.Status : 128 + info.Status;
                break;
            }

            var errno = Marshal.GetLastPInvokeError();
            if (errno != LinuxProcesses.EINTR)
            {
                code = UnknownExit;   // ECHILD: reaped elsewhere; the program has ended all the same
                break;
            }
        }

        // Out of the table before the number is closed: the next pidfd_open may be given the same number.
        TaskCompletionSource<int>? exited;
        lock (Waiting)
        {
            Waiting.Remove(pidfd, out exited);
        }

        LinuxSockets.EpollCtl(epoll, LinuxSockets.EPOLL_CTL_DEL, pidfd, null);
        LinuxProcesses.Close(pidfd);
        exited?.TrySetResult(code);
    }
}
