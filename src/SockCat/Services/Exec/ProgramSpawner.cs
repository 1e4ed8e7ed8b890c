using System.ComponentModel;
using System.IO.Pipes;
using System.Runtime.InteropServices;
using Microsoft.Win32.SafeHandles;
using SockCat.Internal.Interop;

namespace SockCat.Services.Exec;

/// <summary>
/// Starts a program with posix_spawnp (no fork of the .NET process; glibc's vfork-style clone), its stdio three pipes,
/// every signal default and unblocked (.NET ignores SIGPIPE, and an ignored signal stays ignored across exec), in a
/// process group of its own, or a session of its own when asked. The pipes' ends this side are wrapped as
/// System.Diagnostics.Process wraps them on Unix (an <see cref="AnonymousPipeClientStream"/> over a
/// <see cref="SafePipeHandle"/>), so that what reads them can take the descriptor.
/// </summary>
internal static unsafe class ProgramSpawner
{
    /// <summary>The program's end of each pipe, by the descriptor it gets there.</summary>
    private const int StdinFd = 0, StdoutFd = 1, StderrFd = 2;

    /// <summary>
    /// Starts <paramref name="argv"/>[0], looked up on this process's PATH when it holds no slash, with exactly
    /// <paramref name="environment"/>. <see cref="Win32Exception"/> (its message strerror's) when it cannot be started:
    /// glibc reports the exec's own failure (ENOENT, EACCES) as posix_spawnp's result.
    /// </summary>
    public static (int Pid, Stream Stdin, Stream Stdout, Stream Stderr) Spawn(IReadOnlyList<string> argv, IEnumerable<KeyValuePair<string, string>> environment, bool ownSession, SafeHandle? stdoutSocket = null)
    {
        var pipes = stackalloc int[6] { -1, -1, -1, -1, -1, -1 };   // [read, write] for stdin, stdout, stderr
        var strings = new List<nint>();
        var attributes = NativeMemory.AllocZeroed(LinuxProcesses.OpaqueSize);
        var actions = NativeMemory.AllocZeroed(LinuxProcesses.OpaqueSize);
        var signals = NativeMemory.AllocZeroed(LinuxProcesses.OpaqueSize);
        var attributesReady = false;
        var actionsReady = false;
        var socketAdded = false;
        try
        {
            for (var i = 0; i < 3; i++)
            {
                if (LinuxProcesses.Pipe2(pipes + (2 * i), LinuxProcesses.O_CLOEXEC) < 0)
                {
                    throw new Win32Exception(Marshal.GetLastPInvokeError());
                }
            }

            // The program's ends: stdin's read end, stdout's and stderr's write ends; or for stdout a lent socket
            // (IConnection.LendSocket), numbered above 2 and closed by its owner, not here.
            if (stdoutSocket is not null)
            {
                stdoutSocket.DangerousAddRef(ref socketAdded);
                LinuxProcesses.Close(pipes[2]);
                LinuxProcesses.Close(pipes[3]);
                pipes[2] = pipes[3] = -1;
            }

            int[] childEnds = [pipes[0], stdoutSocket is null ? pipes[3] : (int)stdoutSocket.DangerousGetHandle(), pipes[5]];
            Check(LinuxProcesses.FileActionsInit(actions));
            actionsReady = true;
            for (var fd = 0; fd < 3; fd++)
            {
                // A pipe end numbered 0-2 (this process's own stdio closed) would be overwritten by an earlier dup2:
                // moved above 2 first.
                if (childEnds[fd] < 3)
                {
                    var moved = LinuxProcesses.Fcntl(childEnds[fd], LinuxProcesses.F_DUPFD_CLOEXEC, 3);
                    if (moved < 0)
                    {
                        throw new Win32Exception(Marshal.GetLastPInvokeError());
                    }

                    LinuxProcesses.Close(childEnds[fd]);
                    childEnds[fd] = moved;
                    pipes[fd == StdinFd ? 0 : (2 * fd) + 1] = moved;
                }

                Check(LinuxProcesses.FileActionsAddDup2(actions, childEnds[fd], fd));
            }

            Check(LinuxProcesses.AttrInit(attributes));
            attributesReady = true;
            var flags = LinuxProcesses.POSIX_SPAWN_SETSIGMASK | LinuxProcesses.POSIX_SPAWN_SETSIGDEF
                | (ownSession ? LinuxProcesses.POSIX_SPAWN_SETSID : LinuxProcesses.POSIX_SPAWN_SETPGROUP);
            Check(LinuxProcesses.AttrSetFlags(attributes, (short)flags));
            LinuxProcesses.SigEmptySet(signals);
            Check(LinuxProcesses.AttrSetSigMask(attributes, signals));
            LinuxProcesses.SigFillSet(signals);
            Check(LinuxProcesses.AttrSetSigDefault(attributes, signals));
            if (!ownSession)
            {
                Check(LinuxProcesses.AttrSetPGroup(attributes, 0));   // 0: a group numbered by the program's own PID
            }

            var nativeArgv = stackalloc byte*[argv.Count + 1];
            for (var i = 0; i < argv.Count; i++)
            {
                nativeArgv[i] = Utf8(argv[i], strings);
            }

            nativeArgv[argv.Count] = null;
            var variables = environment.Select(v => $"{v.Key}={v.Value}").ToList();
            var nativeEnvp = stackalloc byte*[variables.Count + 1];
            for (var i = 0; i < variables.Count; i++)
            {
                nativeEnvp[i] = Utf8(variables[i], strings);
            }

            nativeEnvp[variables.Count] = null;
            int pid;
            Check(LinuxProcesses.PosixSpawnp(&pid, nativeArgv[0], actions, attributes, nativeArgv, nativeEnvp));
            LinuxProcesses.Close(childEnds[0]);
            LinuxProcesses.Close(childEnds[2]);
            if (stdoutSocket is null)
            {
                LinuxProcesses.Close(childEnds[1]);
            }

            pipes[0] = pipes[3] = pipes[5] = -1;
            var stdin = Wrap(ref pipes[1], PipeDirection.Out);
            var stdout = stdoutSocket is null ? Wrap(ref pipes[2], PipeDirection.In) : Stream.Null;
            var stderr = Wrap(ref pipes[4], PipeDirection.In);
            return (pid, stdin, stdout, stderr);
        }
        finally
        {
            if (socketAdded)
            {
                stdoutSocket!.DangerousRelease();
            }

            for (var i = 0; i < 6; i++)
            {
                if (pipes[i] >= 0)
                {
                    LinuxProcesses.Close(pipes[i]);
                }
            }

            if (actionsReady)
            {
                LinuxProcesses.FileActionsDestroy(actions);
            }

            if (attributesReady)
            {
                LinuxProcesses.AttrDestroy(attributes);
            }

            NativeMemory.Free(attributes);
            NativeMemory.Free(actions);
            NativeMemory.Free(signals);
            foreach (var s in strings)
            {
                Marshal.FreeCoTaskMem(s);
            }
        }
    }

    /// <summary>Whether this process has a controlling terminal: /dev/tty opens only when it has one.</summary>
    public static bool HasControllingTerminal()
    {
        var fd = LinuxProcesses.Open("/dev/tty", LinuxProcesses.O_RDWR | LinuxProcesses.O_NOCTTY | LinuxProcesses.O_CLOEXEC);
        if (fd < 0)
        {
            return false;
        }

        LinuxProcesses.Close(fd);
        return true;
    }

    private static Stream Wrap(ref int fd, PipeDirection direction)
    {
        var handle = new SafePipeHandle(fd, ownsHandle: true);
        fd = -1;   // the handle closes it from here on
        return new AnonymousPipeClientStream(direction, handle);
    }

    private static byte* Utf8(string s, List<nint> strings)
    {
        var p = Marshal.StringToCoTaskMemUTF8(s);
        strings.Add(p);
        return (byte*)p;
    }

    /// <summary>posix_spawn's calls return the error number instead of setting errno.</summary>
    private static void Check(int error)
    {
        if (error != 0)
        {
            throw new Win32Exception(error);
        }
    }
}
