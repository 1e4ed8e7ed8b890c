using System.CommandLine;
using System.Runtime.InteropServices;

namespace SockCat.Cli;

/// <summary>
/// Ctrl+C (SIGINT) and SIGTERM for `connect` and `listen`: they stop the bridge, and sockcat exits 128 + the signal's
/// number (130, 143) as nc and a shell report a program stopped by a signal, so `sockcat … &amp;&amp; next` does not go on
/// after a transfer that may be incomplete. The handlers replace System.CommandLine's, which would end the process two
/// seconds after the signal, before a unix socket file is removed.
/// </summary>
internal sealed class StopSignals : IDisposable
{
    private readonly CancellationTokenSource _stop;
    private readonly PosixSignalRegistration? _interrupt;
    private readonly PosixSignalRegistration? _terminate;
    private int _exitCode = ExitCodes.Interrupted;

    private StopSignals(CancellationToken cancellationToken)
    {
        _stop = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        if (!OperatingSystem.IsWindows())
        {
            _interrupt = PosixSignalRegistration.Create(PosixSignal.SIGINT, c => Stop(c, ExitCodes.Interrupted));
            _terminate = PosixSignalRegistration.Create(PosixSignal.SIGTERM, c => Stop(c, ExitCodes.Terminated));
        }
    }

    public CancellationToken Token => _stop.Token;

    /// <summary>The code to exit with once stopped: 143 after SIGTERM, else 130 (Ctrl+C, or a caller's cancellation, which stands for it).</summary>
    public int ExitCode => Volatile.Read(ref _exitCode);

    public static StopSignals Register(ParseResult parseResult, CancellationToken cancellationToken)
    {
        parseResult.InvocationConfiguration.ProcessTerminationTimeout = null;
        return new StopSignals(cancellationToken);
    }

    public void Dispose()
    {
        _interrupt?.Dispose();
        _terminate?.Dispose();
        _stop.Dispose();
    }

    private void Stop(PosixSignalContext context, int exitCode)
    {
        context.Cancel = true;
        Volatile.Write(ref _exitCode, exitCode);
        _stop.Cancel();
    }
}
