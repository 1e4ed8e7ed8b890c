using System.Net.Security;
using System.Security.Authentication;
using System.Security.Cryptography.X509Certificates;
using Microsoft.AspNetCore.Server.Kestrel.Https;

namespace SockCat.Server.Tls;

/// <summary>The server side of TLS: the handshake options every <c>tls://</c> listener uses, and a handshake with a deadline.</summary>
internal static class TlsServer
{
    /// <summary>TLS 1.2 and 1.3 only: older versions have known weaknesses and no current client needs them.</summary>
    public const SslProtocols Protocols = SslProtocols.Tls12 | SslProtocols.Tls13;

    /// <summary>
    /// How long a peer has to finish the TLS handshake after connecting (<c>TlsHandshakeTimeout</c>), 10 s by default as in
    /// Kestrel: a peer that connects and sends nothing would otherwise hold a connection slot for as long as it likes.
    /// </summary>
    public static readonly TimeSpan DefaultHandshakeTimeout = TimeSpan.FromSeconds(10);

    /// <summary>
    /// The handshake options for <paramref name="certificate"/>: TLS 1.2 and 1.3, no client certificate, no
    /// renegotiation, no revocation lookups. One instance can serve every connection.
    /// </summary>
    public static SslServerAuthenticationOptions CreateOptions(ServerCertificate certificate) => new()
    {
        ServerCertificateContext = certificate.Context,
        EnabledSslProtocols = Protocols,
        ClientCertificateRequired = false,
        CertificateRevocationCheckMode = X509RevocationMode.NoCheck,
        AllowRenegotiation = false,
    };

    /// <summary>
    /// The same settings for a listener Kestrel hosts (<c>ListenOptions.UseHttps(options)</c>): certificate, chain,
    /// protocols and handshake timeout.
    /// </summary>
    public static HttpsConnectionAdapterOptions CreateKestrelOptions(ServerCertificate certificate, TimeSpan handshakeTimeout) => new()
    {
        ServerCertificate = certificate.Certificate,
        ServerCertificateChain = certificate.Chain,
        SslProtocols = Protocols,
        ClientCertificateMode = Microsoft.AspNetCore.Server.Kestrel.Https.ClientCertificateMode.NoCertificate,
        CheckCertificateRevocation = false,
        HandshakeTimeout = handshakeTimeout,
    };

    /// <summary>
    /// Runs the server handshake on <paramref name="stream"/>, cut after <paramref name="timeout"/>. On timeout the
    /// <paramref name="stream"/> is disposed (which also unblocks an inner stream that ignores cancellation) and a
    /// <see cref="TlsHandshakeTimeoutException"/> is thrown; the caller then closes the connection as for any failed
    /// handshake. A cancelled <paramref name="cancellationToken"/> (server shutdown) throws <see cref="OperationCanceledException"/>.
    /// </summary>
    /// <exception cref="TlsHandshakeTimeoutException">The handshake did not finish in time.</exception>
    /// <exception cref="AuthenticationException">The peer is not speaking TLS, or only versions or ciphers refused here.</exception>
    /// <exception cref="IOException">The peer went away during the handshake.</exception>
    public static Task AuthenticateAsServerWithTimeoutAsync(SslStream stream, SslServerAuthenticationOptions options, TimeSpan timeout, CancellationToken cancellationToken) =>
        AuthenticateAsServerWithTimeoutAsync(stream, options, timeout, TimeProvider.System, cancellationToken);

    /// <summary>The same, timed by <paramref name="timeProvider"/>: tests pass a fake clock, so the timeout is reached when they say.</summary>
    public static async Task AuthenticateAsServerWithTimeoutAsync(SslStream stream, SslServerAuthenticationOptions options, TimeSpan timeout, TimeProvider timeProvider, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(stream);
        ArgumentNullException.ThrowIfNull(options);
        ArgumentOutOfRangeException.ThrowIfLessThanOrEqual(timeout, TimeSpan.Zero);

        using var handshakeCancellation = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        var handshake = stream.AuthenticateAsServerAsync(options, handshakeCancellation.Token);
        try
        {
            await handshake.WaitAsync(timeout, timeProvider, cancellationToken).ConfigureAwait(false);
        }
        catch (Exception ex) when (ex is TimeoutException || (ex is OperationCanceledException && !handshake.IsCompleted))
        {
            // The handshake is still running: cancel it, and close the stream in case the transport under it does
            // not honour cancellation; its failure is observed here so it never surfaces as an unobserved exception.
            handshakeCancellation.Cancel();
            await stream.DisposeAsync().ConfigureAwait(false);
            _ = handshake.ContinueWith(static t => _ = t.Exception, CancellationToken.None, TaskContinuationOptions.OnlyOnFaulted | TaskContinuationOptions.ExecuteSynchronously, TaskScheduler.Default);
            if (ex is TimeoutException)
            {
                throw new TlsHandshakeTimeoutException(timeout);
            }

            throw;
        }
    }
}
