using System.Net.Sockets;
using System.Runtime.InteropServices;
using SockCat.Client;
using SockCat.Streams;

namespace SockCat.Cli;

/// <summary>Turns how a bridge ended into the exit code of `connect` and `listen`, and the one line a user reads.</summary>
internal static class BridgeReport
{
    private const int Epipe = 32;

    /// <summary>The exit code; a failure is written to <paramref name="error"/> as one line, and with -v the bytes each way.</summary>
    public static async Task<int> ExitCodeAsync(
        StreamBridgeResult result, string peerName, TimeSpan? idleTimeout, bool verbose, StopSignals signals, TextWriter error)
    {
        if (verbose)
        {
            await error.WriteLineAsync($"sockcat: {result.BytesSent} bytes sent, {result.BytesReceived} bytes received").ConfigureAwait(false);
        }

        var (code, message) = Describe(result, peerName, idleTimeout, signals);
        if (message is not null)
        {
            await error.WriteLineAsync($"sockcat: {message}").ConfigureAwait(false);
        }

        return code;
    }

    private static (int Code, string? Message) Describe(StreamBridgeResult result, string peerName, TimeSpan? idleTimeout, StopSignals signals) => result.Outcome switch
    {
        StreamBridgeOutcome.Completed or StreamBridgeOutcome.QuitAfterInputEnd or StreamBridgeOutcome.PeerEndedWhileInputWaited => (ExitCodes.Success, null),
        StreamBridgeOutcome.Cancelled => (signals.ExitCode, null),
        StreamBridgeOutcome.IdleTimeout => (ExitCodes.ConnectionLost, $"nothing sent or received for {CommonOptions.Seconds(idleTimeout ?? TimeSpan.Zero)}, closing {peerName} (--idle-timeout)"),
        StreamBridgeOutcome.PeerFailed => PeerFailure(peerName, result.Error!),
        StreamBridgeOutcome.InputFailed => (ExitCodes.Failure, $"cannot read stdin: {Describe(result.Error!)}; check what stdin is"),
        // The reader of stdout went away (`| head`): what a filter killed by SIGPIPE reports, and nothing to say about it.
        StreamBridgeOutcome.OutputFailed when Errno(result.Error!) == Epipe => (ExitCodes.BrokenPipe, null),
        StreamBridgeOutcome.OutputFailed => (ExitCodes.Failure, $"cannot write to stdout: {Describe(result.Error!)}; check where stdout goes"),
        _ => (ExitCodes.Failure, $"the bridge to {peerName} ended: {result.Outcome}"),
    };

    private static (int, string) PeerFailure(string peerName, Exception ex)
    {
        var failure = ConnectionLost(peerName, ex);
        return (failure.ExitCode, failure.Message);
    }

    /// <summary>A broken connection in one line: what happened, and the system's error name.</summary>
    public static CliException ConnectionLost(string peerName, Exception ex)
    {
        var socket = ex as SocketException ?? ex.InnerException as SocketException;
        if (socket is null)
        {
            return new CliException($"the connection to {peerName} broke: {ex.Message.TrimEnd('.')}", ExitCodes.ConnectionLost, ex);
        }

        var (_, name) = SocketErrorNames.Describe(socket);
        var what = socket.SocketErrorCode switch
        {
            SocketError.ConnectionReset => "was reset by the peer",
            SocketError.Shutdown => "was closed by the peer while sending",
            SocketError.ConnectionAborted => "was aborted",
            SocketError.TimedOut => "timed out",
            _ => $"broke: {socket.Message.TrimEnd('.')}",
        };
        return new CliException($"the connection to {peerName} {what} ({name})", ExitCodes.ConnectionLost, ex);
    }

    // On Unix, .NET gives a failed read or write on a file descriptor the errno as its HResult.
    private static int Errno(Exception ex) => ex is IOException { HResult: > 0 and < 4096 } io ? io.HResult : 0;

    private static string Describe(Exception ex)
    {
        var errno = Errno(ex);
        if (errno == 0)
        {
            return ex.Message.TrimEnd('.');
        }

        var name = errno switch
        {
            5 => "EIO",
            9 => "EBADF",
            21 => "EISDIR",
            27 => "EFBIG",
            28 => "ENOSPC",
            Epipe => "EPIPE",
            122 => "EDQUOT",
            _ => $"errno {errno}",
        };
        return $"{Marshal.GetPInvokeErrorMessage(errno)} ({name})";
    }
}
