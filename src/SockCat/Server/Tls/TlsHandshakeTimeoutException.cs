namespace SockCat.Server.Tls;

/// <summary>A TLS handshake did not complete within the allowed time (the peer connected and stalled).</summary>
internal sealed class TlsHandshakeTimeoutException : TimeoutException
{
    /// <summary>Creates the exception for a handshake cut after <paramref name="timeout"/>.</summary>
    public TlsHandshakeTimeoutException(TimeSpan timeout)
        : base($"the TLS handshake did not complete within {timeout.TotalSeconds:0.###} s")
    {
        Timeout = timeout;
    }

    /// <summary>The time the handshake was given.</summary>
    public TimeSpan Timeout { get; }
}
