using System.Net.Security;
using System.Security.Cryptography.X509Certificates;
using SockCat.Tls;

namespace SockCat.Server.Tls;

/// <summary>
/// The certificate a <c>tls://</c> listener presents: loaded from PEM files or generated at start, with its
/// private key, the chain to send with it, its fingerprint, and any warning about it for the log. Dispose it when
/// the server stops.
/// </summary>
public sealed class ServerCertificate : IDisposable
{
    internal ServerCertificate(X509Certificate2 certificate, X509Certificate2Collection chain, bool isSelfSigned, IReadOnlyList<string> warnings)
    {
        Certificate = certificate;
        Chain = chain;
        IsSelfSigned = isSelfSigned;
        Warnings = warnings;
        Fingerprint = CertificateFingerprint.Sha256(certificate);

        // offline: building the chain must not fetch intermediates or revocation lists from the network at start.
        Context = SslStreamCertificateContext.Create(certificate, chain, offline: true);
    }

    /// <summary>The leaf certificate, with its private key.</summary>
    public X509Certificate2 Certificate { get; }

    /// <summary>Intermediate certificates that followed the leaf in the <c>--cert</c> file, sent with it; often empty.</summary>
    public X509Certificate2Collection Chain { get; }

    /// <summary>What <see cref="SslStream"/> is given: the certificate and its chain, built once for every handshake.</summary>
    public SslStreamCertificateContext Context { get; }

    /// <summary>True when SockCat generated the certificate because no <c>--cert</c> was given.</summary>
    public bool IsSelfSigned { get; }

    /// <summary>The SHA-256 fingerprint, colon-separated upper-case hex (what <c>sockcat connect --fingerprint</c> takes).</summary>
    public string Fingerprint { get; }

    /// <summary>One-line warnings to log at start (an expired certificate, one not valid yet); empty when there are none.</summary>
    public IReadOnlyList<string> Warnings { get; }

    /// <summary>
    /// The handshake options a <c>tls://</c> listener uses for this certificate, for <see cref="ServerOptions.TlsOptions"/>:
    /// TLS 1.2 and 1.3, the chain sent with the leaf, no client certificate, no renegotiation.
    /// </summary>
    public SslServerAuthenticationOptions CreateServerOptions() => TlsServer.CreateOptions(this);

    /// <inheritdoc />
    public void Dispose()
    {
        Certificate.Dispose();
        foreach (var extra in Chain)
        {
            extra.Dispose();
        }
    }
}
