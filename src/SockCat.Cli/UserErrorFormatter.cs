using System.Net.Sockets;
using SockCat.Endpoints;

namespace SockCat.Cli;

/// <summary>Turns an exception into the one line a user reads and the exit code a script reads.</summary>
internal static class UserErrorFormatter
{
    public static (string Message, int ExitCode) Format(Exception ex) => ex switch
    {
        EndpointFormatException e => (e.Message, ExitCodes.Usage),
        SocketException e => ($"{e.Message} ({e.SocketErrorCode})", ExitCodes.Failure),
        OperationCanceledException => ("cancelled", ExitCodes.Failure),
        IOException e => (e.Message, ExitCodes.ConnectionLost),
        _ => ($"unexpected error: {ex.GetType().Name}: {ex.Message}", ExitCodes.Failure),
    };
}
