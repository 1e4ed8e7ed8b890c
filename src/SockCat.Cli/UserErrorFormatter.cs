using System.Net.Sockets;
using System.Security.Authentication;
using SockCat.Client;
using SockCat.Endpoints;

namespace SockCat.Cli;

/// <summary>Turns an exception into the one line a user reads and the exit code a script reads.</summary>
internal static class UserErrorFormatter
{
    public static (string Message, int ExitCode) Format(Exception ex) => ex switch
    {
        CliException e => (e.Message, e.ExitCode),
        EndpointFormatException e => (e.Message, ExitCodes.Usage),
        ConnectException e => FormatConnect(e),
        AuthenticationException e => ($"TLS failed: {e.Message.TrimEnd('.')}; is it a TLS server?", ExitCodes.TlsFailed),
        ArgumentException e => (StripParameterName(e), ExitCodes.Usage),
        SocketException e => ($"{e.Message.TrimEnd('.')} ({SocketErrorNames.Describe(e).Name})", ExitCodes.Failure),
        OperationCanceledException => ("cancelled", ExitCodes.Failure),
        IOException e => (e.Message, ExitCodes.ConnectionLost),
        _ => ($"unexpected error: {ex.GetType().Name}: {ex.Message}", ExitCodes.Failure),
    };

    private static (string, int) FormatConnect(ConnectException e) => e.Failure switch
    {
        ConnectFailure.TlsUntrusted => ($"{e.Message}; if you trust this server, pass --fingerprint with that SHA-256 to accept exactly this certificate (or --insecure to skip the check)", ExitCodes.TlsFailed),
        ConnectFailure.TlsFingerprintMismatch or ConnectFailure.TlsHandshake => ($"{e.Message}; {e.Hint}", ExitCodes.TlsFailed),
        ConnectFailure.ProxyUnreachable => ($"{e.Message}; {e.Hint}", ExitCodes.ProxyUnreachable),
        ConnectFailure.ProxyAuthentication => ($"{e.Message}; {e.Hint}", ExitCodes.ProxyAuthFailed),
        ConnectFailure.ProxyTarget => ($"{e.Message}; {e.Hint}", ExitCodes.ProxyTargetFailed),
        ConnectFailure.ProxyProtocol => ($"{e.Message}; {e.Hint}", ExitCodes.ProxyProtocol),
        _ => ($"{e.Message}; {e.Hint}", ExitCodes.ConnectFailed),
    };

    // ArgumentException appends " (Parameter 'x')", which means nothing to a user.
    private static string StripParameterName(ArgumentException e) =>
        e.ParamName is null ? e.Message : e.Message.Replace($" (Parameter '{e.ParamName}')", "", StringComparison.Ordinal);
}
