namespace SockCat.Services.Exec;

/// <summary>
/// The pseudo-terminal for <see cref="ExecOptions.Pty"/>, as a small Python 3 program: no pty package exists on
/// NuGet, .NET must not fork, and util-linux's <c>script</c> puts the program in a session of its own (out of reach of
/// the session kill) and takes the window size only from a terminal it does not have here. Started as the leader of a
/// session of its own (POSIX_SPAWN_SETSID, <see cref="ChildProcess.Start"/>), the helper takes the pty as its
/// controlling terminal, sets the window size (TIOCSWINSZ), forks the program onto the pty (same session and group, so
/// the kill reaches it), and copies the master to and from its
/// pipes, never blocking on one side while the other waits. It exits with the program's code (128 + signal).
/// </summary>
internal static class PtyHelper
{
    /// <summary>Debian's own interpreter first: another python3 first on PATH (pyenv's shim) starts far slower.</summary>
    public static string PythonPath { get; } = File.Exists("/usr/bin/python3") ? "/usr/bin/python3" : ExecService.FindProgram("python3") ?? "python3";

    public const string Script = """
        import errno, fcntl, os, select, signal, struct, sys, termios
        rows, cols, argv = int(sys.argv[1]), int(sys.argv[2]), sys.argv[3:]
        master, slave = os.openpty()
        fcntl.ioctl(slave, termios.TIOCSWINSZ, struct.pack('HHHH', rows, cols, 0, 0))
        fcntl.ioctl(slave, termios.TIOCSCTTY, 0)
        # The helper is in the terminal's foreground group: Ctrl+C typed by the client is for the program only.
        for s in (signal.SIGINT, signal.SIGQUIT, signal.SIGTSTP, signal.SIGTTIN, signal.SIGTTOU):
            signal.signal(s, signal.SIG_IGN)
        pid = os.fork()
        if pid == 0:
            for s in (signal.SIGINT, signal.SIGQUIT, signal.SIGTSTP, signal.SIGTTIN, signal.SIGTTOU, signal.SIGPIPE, signal.SIGXFSZ):
                signal.signal(s, signal.SIG_DFL)
            os.close(master)
            for fd in (0, 1, 2):
                os.dup2(slave, fd)
            if slave > 2:
                os.close(slave)
            try:
                os.execvp(argv[0], argv)
            except OSError as e:
                os.write(2, ('sockcat: cannot run %s: %s\r\n' % (argv[0], e.strerror)).encode())
                os._exit(127)
        os.close(slave)
        pending, stdin_open = b'', True
        while True:
            readers = [master] + ([0] if stdin_open and not pending else [])
            r, w, _ = select.select(readers, [master] if pending else [], [])
            if master in r:
                try:
                    data = os.read(master, 65536)
                except OSError as e:
                    if e.errno != errno.EIO:
                        raise
                    data = b''
                if not data:
                    break
                view = memoryview(data)
                while view:
                    view = view[os.write(1, view):]
            if 0 in r:
                pending = os.read(0, 65536)
                if not pending:
                    # The client's end of input: end of file for the program, as Ctrl+D at a terminal.
                    stdin_open, pending = False, b'\x04'
            if master in w and pending:
                pending = pending[os.write(master, pending):]
        _, status = os.waitpid(pid, 0)
        code = os.waitstatus_to_exitcode(status)
        os._exit(128 - code if code < 0 else code)
        """;
}
