using System.CommandLine;
using System.Runtime.InteropServices;

namespace SockCat.Cli;

/// <summary>
/// Ctrl+C (SIGINT) and SIGTERM for a command that stops in steps. The first signal cancels <see cref="Stop"/>
/// (`connect`/`listen` end the bridge, a server stops accepting and drains, bench stops measuring and reports); with two
/// steps the second cancels <see cref="Now"/> (close what is still open). A signal past the last step is left to the
/// runtime, which ends the process, so a stop that hangs can still be interrupted. The handlers replace
/// System.CommandLine's, which would end the process two seconds after the signal, before a unix socket file is removed.
/// </summary>
internal sealed class StopSignals : IDisposable
{
    private readonly CancellationTokenSource _stop;
    private readonly CancellationTokenSource _now = new();
    private readonly PosixSignalRegistration? _interrupt;
    private readonly PosixSignalRegistration? _terminate;
    private readonly int _steps;
    private int _count;
    private int _first;

    /// <param name="steps">Signals handled here: 1 (stop) or 2 (stop, then now).</param>
    /// <param name="cancellationToken">Cancels <see cref="Stop"/> as the first signal does (tests, hosts).</param>
    public StopSignals(int steps, CancellationToken cancellationToken)
    {
        _steps = steps;
        _stop = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        if (!OperatingSystem.IsWindows())
        {
            _interrupt = PosixSignalRegistration.Create(PosixSignal.SIGINT, OnSignal);
            _terminate = PosixSignalRegistration.Create(PosixSignal.SIGTERM, OnSignal);
        }
    }

    /// <summary>Cancelled by the first signal.</summary>
    public CancellationToken Stop => _stop.Token;

    /// <summary>Cancelled by the second signal.</summary>
    public CancellationToken Now => _now.Token;

    /// <summary>The exit code the shell gives a process ended by the first signal (130 for SIGINT, 143 for SIGTERM); null before one.</summary>
    public int? SignalExitCode => Volatile.Read(ref _first) switch
    {
        2 => ExitCodes.Interrupted,
        15 => ExitCodes.Terminated,
        _ => null,
    };

    /// <summary>
    /// The code to exit with once stopped: 143 after SIGTERM, else 130 (Ctrl+C, or a caller's cancellation, which stands
    /// for it), as nc and a shell report a program stopped by a signal, so `sockcat … &amp;&amp; next` does not go on after
    /// a transfer that may be incomplete.
    /// </summary>
    public int ExitCode => SignalExitCode ?? ExitCodes.Interrupted;

    /// <summary>One-step signals for `connect` and `listen`, in place of System.CommandLine's own handling.</summary>
    public static StopSignals Register(ParseResult parseResult, CancellationToken cancellationToken)
    {
        parseResult.InvocationConfiguration.ProcessTerminationTimeout = null;
        return new StopSignals(steps: 1, cancellationToken);
    }

    public void Dispose()
    {
        _interrupt?.Dispose();
        _terminate?.Dispose();
        _stop.Dispose();
        _now.Dispose();
    }

    private void OnSignal(PosixSignalContext context)
    {
        var count = Interlocked.Increment(ref _count);
        if (count > _steps)
        {
            return;
        }

        context.Cancel = true;
        if (count == 1)
        {
            Volatile.Write(ref _first, context.Signal == PosixSignal.SIGINT ? 2 : 15);
            _stop.Cancel();
        }
        else
        {
            _now.Cancel();
        }
    }
}
