using System.Net.Sockets;
using SockCat.Endpoints;

namespace SockCat.Client;

/// <summary>
/// A connection could not be made. Like PHP's <c>$errno</c> and <c>$errstr</c>, it carries the system's error
/// number and name (<see cref="ErrorNumber"/> 111, <see cref="ErrorName"/> ECONNREFUSED) and a one-line
/// <see cref="Exception.Message"/> for a user, such as <c>connection refused by 127.0.0.1:1 (ECONNREFUSED)</c>,
/// with a <see cref="Hint"/> on what to do.
/// </summary>
public sealed class ConnectException : IOException
{
    /// <summary>Creates the exception; <paramref name="message"/> and <paramref name="hint"/> are shown to users as they are.</summary>
    public ConnectException(
        EndpointUrl url,
        ConnectFailure failure,
        int errorNumber,
        string errorName,
        string message,
        string hint,
        Exception? innerException = null)
        : base(message, innerException)
    {
        Url = url;
        Failure = failure;
        ErrorNumber = errorNumber;
        ErrorName = errorName;
        Hint = hint;
    }

    /// <summary>The endpoint that could not be reached.</summary>
    public EndpointUrl Url { get; }

    /// <summary>What kind of failure this is.</summary>
    public ConnectFailure Failure { get; }

    /// <summary>
    /// The system's error number (errno on Linux: 111 for ECONNREFUSED, 110 for ETIMEDOUT, 13 for EACCES); a negative
    /// getaddrinfo code for name lookups (-2 for EAI_NONAME, -3 for EAI_AGAIN); 0 for TLS failures, which have none.
    /// </summary>
    public int ErrorNumber { get; }

    /// <summary>The symbolic name of <see cref="ErrorNumber"/>, such as ECONNREFUSED or EAI_NONAME; TLS failures have their own (TLS_UNTRUSTED, TLS_FINGERPRINT, TLS_HANDSHAKE).</summary>
    public string ErrorName { get; }

    /// <summary>The portable socket error, when the failure came from the socket layer; <see cref="SocketError.SocketError"/> otherwise.</summary>
    public SocketError SocketError => InnerException is SocketException s ? s.SocketErrorCode : SocketError.SocketError;

    /// <summary>What the user can do about it, in a few words (e.g. <c>is a server listening there?</c>).</summary>
    public string Hint { get; }
}
