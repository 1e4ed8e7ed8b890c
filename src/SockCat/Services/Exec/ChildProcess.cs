using System.ComponentModel;
using System.Diagnostics;
using SockCat.Internal.Interop;

namespace SockCat.Services.Exec;

/// <summary>
/// One running program: started through util-linux's <c>setsid</c>, which (the BCL's child being no group leader)
/// calls setsid() and execs the program in place, so the PID held here is the program's own and also its session and
/// group id. That is what lets <see cref="TerminateAsync"/> reach everything it started, grandchildren included,
/// without forking from .NET.
/// </summary>
internal sealed class ChildProcess : IDisposable
{
    private static readonly Lazy<bool> Subreaper = new(LinuxProcesses.BecomeSubreaper);
    private readonly Process _process;
    private Task? _terminating;

    private ChildProcess(Process process)
    {
        _process = process;
        Pid = process.Id;
        Stdin = process.StandardInput.BaseStream;
        Stdout = process.StandardOutput.BaseStream;
        Stderr = process.StandardError.BaseStream;
        Exited = WaitExitAsync(process);
    }

    public int Pid { get; }

    public Stream Stdin { get; }

    public Stream Stdout { get; }

    public Stream Stderr { get; }

    /// <summary>The exit code once the program has exited (128 + the signal when a signal ended it).</summary>
    public Task<int> Exited { get; }

    /// <summary>Starts the program; <see cref="Win32Exception"/> when setsid itself cannot be started.</summary>
    public static ChildProcess Start(ExecOptions options, IReadOnlyDictionary<string, string> environment, int rows = 0, int columns = 0)
    {
        _ = Subreaper.Value;
        var info = new ProcessStartInfo(SetsidPath)
        {
            RedirectStandardInput = true,
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
        };
        if (options.Pty)
        {
            info.ArgumentList.Add(PtyHelper.PythonPath);
            info.ArgumentList.Add("-c");
            info.ArgumentList.Add(PtyHelper.Script);
            info.ArgumentList.Add(Number(rows > 0 ? rows : options.PtyRows));
            info.ArgumentList.Add(Number(columns > 0 ? columns : options.PtyColumns));
        }

        if (options.UseShell)
        {
            info.ArgumentList.Add("/bin/sh");
            info.ArgumentList.Add("-c");
            info.ArgumentList.Add(options.Program);
        }
        else
        {
            info.ArgumentList.Add(options.Program);
        }

        foreach (var argument in options.Arguments)
        {
            info.ArgumentList.Add(argument);
        }

        info.Environment.Clear();
        foreach (var (name, value) in environment)
        {
            info.Environment[name] = value;
        }

        if (options.Pty && !info.Environment.ContainsKey("TERM"))
        {
            info.Environment["TERM"] = "xterm-256color";
        }

        return new ChildProcess(Process.Start(info)!);
    }

    /// <summary>setsid from util-linux; found once.</summary>
    internal static string SetsidPath { get; } = ExecService.FindProgram("setsid") ?? "setsid";

    /// <summary>How long SIGTERM is given before SIGKILL.</summary>
    internal static readonly TimeSpan TermGrace = TimeSpan.FromMilliseconds(500);

    /// <summary>
    /// Ends the program's whole session: what is still running after <paramref name="grace"/> (its stdin closed, a
    /// program may end by itself) gets SIGTERM (and SIGCONT, for a stopped job), and what still runs
    /// <see cref="TermGrace"/> later gets SIGKILL; then the orphans re-parented here are reaped. Completes once nothing
    /// of the session runs and the program has been reaped. Only the first call's grace counts.
    /// </summary>
    public Task TerminateAsync(TimeSpan grace) => _terminating ??= TerminateCoreAsync(grace);

    private async Task TerminateCoreAsync(TimeSpan grace)
    {
        if (!await EndedWithinAsync(grace).ConfigureAwait(false))
        {
            ProcessSessions.Signal(Pid, LinuxProcesses.SIGTERM);
            ProcessSessions.Signal(Pid, LinuxProcesses.SIGCONT);
            if (!await EndedWithinAsync(TermGrace).ConfigureAwait(false))
            {
                for (var i = 0; ProcessSessions.AnyAlive(Pid) && i < 500; i++)
                {
                    ProcessSessions.Signal(Pid, LinuxProcesses.SIGKILL);
                    await Task.Delay(10).ConfigureAwait(false);
                }
            }
        }

        await Exited.ConfigureAwait(false);
        ProcessSessions.ReapOrphans(Pid, Pid);
    }

    /// <summary>Whether the program and everything of its session have ended within <paramref name="time"/>.</summary>
    private async Task<bool> EndedWithinAsync(TimeSpan time)
    {
        var clock = Stopwatch.StartNew();
        // The program's own exit is an event; its descendants are only seen in /proc, so they are polled.
        try
        {
            await Exited.WaitAsync(time).ConfigureAwait(false);
        }
        catch (TimeoutException)
        {
            return !ProcessSessions.AnyAlive(Pid);
        }

        while (ProcessSessions.AnyAlive(Pid))
        {
            if (clock.Elapsed >= time)
            {
                return false;
            }

            await Task.Delay(20).ConfigureAwait(false);
        }

        return true;
    }

    /// <summary>How the program ended, for the log: "exited with code 3", "killed by SIGTERM".</summary>
    public static string DescribeExit(int code) => code switch
    {
        > 128 and < 128 + 32 => $"killed by {SignalName(code - 128)}",
        _ => $"exited with code {code}",
    };

    private static string SignalName(int signal) => signal switch
    {
        1 => "SIGHUP",
        2 => "SIGINT",
        3 => "SIGQUIT",
        6 => "SIGABRT",
        9 => "SIGKILL",
        11 => "SIGSEGV",
        13 => "SIGPIPE",
        15 => "SIGTERM",
        _ => $"signal {signal}",
    };

    public void Dispose() => _process.Dispose();

    private static async Task<int> WaitExitAsync(Process process)
    {
        await process.WaitForExitAsync().ConfigureAwait(false);
        return process.ExitCode;
    }

    private static string Number(int n) => n.ToString(System.Globalization.CultureInfo.InvariantCulture);
}
