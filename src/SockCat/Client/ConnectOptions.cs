using System.Net;
using System.Net.Sockets;
using SockCat.Client.Proxy;

namespace SockCat.Client;

/// <summary>
/// How <see cref="SocketClient.ConnectAsync"/> connects: its time limit, which addresses it uses on each side, and how it
/// checks a TLS server's certificate.
/// </summary>
public sealed record ConnectOptions
{
    /// <summary>The default <see cref="Timeout"/>: 30 seconds, as PHP's <c>fsockopen</c> waits.</summary>
    public static readonly TimeSpan DefaultTimeout = TimeSpan.FromSeconds(30);

    /// <summary>
    /// The time the whole attempt may take: resolving the name, trying each of its addresses in turn and, for
    /// tls://, the handshake. Defaults to 30 seconds. <see cref="System.Threading.Timeout.InfiniteTimeSpan"/> waits for as long
    /// as the system does.
    /// </summary>
    public TimeSpan Timeout { get; init; } = DefaultTimeout;

    /// <summary>
    /// For tls://: accept any certificate the server presents, trusted or not, for any name. Insecure: anyone
    /// between the client and the server can read and change the traffic. Defaults to false (the certificate must
    /// chain to a trusted root and name the host). Prefer <see cref="CertificateFingerprint"/>, which accepts exactly one certificate.
    /// </summary>
    public bool AllowUntrustedCertificate { get; init; }

    /// <summary>
    /// For tls://: the SHA-256 fingerprint of the one certificate to accept, as 64 hexadecimal digits, colons
    /// optional (<c>AB:CD:...</c> as <c>openssl x509 -fingerprint -sha256</c> prints it). When set, that certificate is
    /// accepted whether or not it is trusted, and every other certificate is rejected. Defaults to null (normal verification).
    /// </summary>
    public string? CertificateFingerprint { get; init; }

    /// <summary>
    /// For tcp://, tls:// and udp://: use only addresses of this family, <see cref="AddressFamily.InterNetwork"/> (IPv4) or
    /// <see cref="AddressFamily.InterNetworkV6"/> (IPv6), as <c>nc -4</c> and <c>nc -6</c> do. A host name's addresses of the
    /// other family are skipped (a name with none of this family fails as <see cref="ConnectFailure.HostNotFound"/>).
    /// Defaults to <see cref="AddressFamily.Unspecified"/>: every address the name has, in the order the system gives them.
    /// </summary>
    /// <remarks>An IP address of the other family in the URL, or a <see cref="LocalEndPoint"/> of the other family, is an <see cref="ArgumentException"/>.</remarks>
    public AddressFamily AddressFamily { get; init; } = AddressFamily.Unspecified;

    /// <summary>
    /// For tcp://, tls:// and udp://: the local address (and port, unless 0) to bind before connecting, as <c>nc -s</c> does,
    /// so the connection leaves from a chosen interface or port. Only the host name's addresses of its family are tried. An
    /// address that is not this machine's, or a port already taken, fails as <see cref="ConnectFailure.LocalAddress"/>.
    /// Defaults to null: the system picks the address and an ephemeral port.
    /// </summary>
    public IPEndPoint? LocalEndPoint { get; init; }

    /// <summary>
    /// How many more times to try when the connection cannot be made (socat's <c>retry=</c>): 0 (the default) tries once;
    /// <see cref="int.MaxValue"/> tries until it connects or the caller cancels (socat's <c>forever</c>). Only failures
    /// that may pass are tried again: refused, timed out, unreachable, a unix socket not there yet, a name the name service
    /// could not answer. A certificate that is not trusted, a permission refused or a local address that cannot be bound
    /// fail at once. Each attempt has its own <see cref="Timeout"/>.
    /// </summary>
    public int Retries { get; init; }

    /// <summary>The wait between attempts (<see cref="Retries"/>). Defaults to 1 second.</summary>
    public TimeSpan RetryInterval { get; init; } = TimeSpan.FromSeconds(1);

    /// <summary>
    /// Called after a failed attempt that will be tried again, with the failure, the number of the attempt that failed
    /// (1 for the first), and the wait before the next: where a program says "trying again" to its user. Defaults to null.
    /// </summary>
    public Action<ConnectException, int, TimeSpan>? OnRetry { get; init; }

    /// <summary>
    /// For tcp:// and tls:// (and so ws:// and wss://): connect to this proxy instead, and ask it for the target (SOCKS5,
    /// SOCKS4a or HTTP CONNECT); the proxy resolves a host name. <see cref="Timeout"/> covers reaching the proxy, its
    /// handshake and, for tls://, the TLS handshake with the target through it; <see cref="AddressFamily"/> and
    /// <see cref="LocalEndPoint"/> apply to the connection to the proxy. A proxy that cannot be reached fails as
    /// <see cref="ConnectFailure.ProxyUnreachable"/>, and its refusals as the other Proxy failures. Defaults to null: connect directly.
    /// </summary>
    /// <remarks>
    /// unix:// and udp:// with a proxy are an <see cref="ArgumentException"/>: a proxy carries TCP streams. The connection's
    /// <see cref="ClientConnection.RemoteEndPoint"/> is then the proxy's address; the target's is known to the proxy alone.
    /// </remarks>
    public ProxyUrl? Proxy { get; init; }
}
