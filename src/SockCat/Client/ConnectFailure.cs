namespace SockCat.Client;

/// <summary>What kind of failure a <see cref="ConnectException"/> reports.</summary>
public enum ConnectFailure
{
    /// <summary>Something else; <see cref="ConnectException.ErrorName"/> names the system's error.</summary>
    Other,

    /// <summary>Nothing listens there: the peer answered with a reset (ECONNREFUSED), or a unix socket has no listener.</summary>
    Refused,

    /// <summary>No answer within the time limit (ETIMEDOUT).</summary>
    TimedOut,

    /// <summary>The name does not resolve to any address (EAI_NONAME), or the name service could not answer (EAI_AGAIN).</summary>
    HostNotFound,

    /// <summary>The system forbade the connection (EACCES, EPERM): a firewall rule, a broadcast address, a unix socket's file mode.</summary>
    PermissionDenied,

    /// <summary>No route to the network or host (ENETUNREACH, EHOSTUNREACH), or the address is not usable here (EADDRNOTAVAIL).</summary>
    Unreachable,

    /// <summary>No unix socket file exists at the path (ENOENT).</summary>
    NoSuchSocket,

    /// <summary>The TLS server's certificate is not trusted: not signed by a trusted authority, expired, or for another name.</summary>
    TlsUntrusted,

    /// <summary>The TLS server's certificate is not the one <see cref="ConnectOptions.CertificateFingerprint"/> names.</summary>
    TlsFingerprintMismatch,

    /// <summary>The TLS handshake failed for another reason: the peer does not speak TLS, or no protocol version or cipher is shared.</summary>
    TlsHandshake,

    /// <summary>
    /// The local address asked for (<see cref="ConnectOptions.LocalEndPoint"/>) could not be bound: it is not an address of
    /// this machine (EADDRNOTAVAIL), or its port is taken (EADDRINUSE) or privileged (EACCES).
    /// </summary>
    LocalAddress,

    /// <summary>A WebSocket server answered the upgrade with another HTTP status (403, 404, ...) or not as HTTP at all; <see cref="ConnectException.ErrorNumber"/> holds the status.</summary>
    UpgradeRefused,

    /// <summary>The proxy (<see cref="ConnectOptions.Proxy"/>) could not be reached: refused, timed out, unreachable, no such host. <see cref="ConnectException.ErrorName"/> names the system's error.</summary>
    ProxyUnreachable,

    /// <summary>The proxy requires a user name and password and none was given, or refused the ones given (SOCKS5 0xFF or RFC 1929 failure, HTTP 407, SOCKS4 identd replies).</summary>
    ProxyAuthentication,

    /// <summary>
    /// The proxy could not or would not connect to the target: refused, unreachable, forbidden by its rules. <see cref="ConnectException.ErrorNumber"/>
    /// holds the SOCKS reply code or the HTTP status, and <see cref="ConnectException.ErrorName"/> its name (SOCKS5_CONNECTION_REFUSED, HTTP_502).
    /// </summary>
    ProxyTarget,

    /// <summary>The proxy answered something that is not its protocol, or closed the connection in the middle of the handshake: often a proxy URL with the wrong scheme or port.</summary>
    ProxyProtocol,
}
