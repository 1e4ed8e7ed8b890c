using Microsoft.Extensions.Logging;

namespace SockCat.Server.Tls;

/// <summary>The log lines of the TLS side of the server. Event IDs 700–719 belong to this class.</summary>
internal static partial class TlsLog
{
    [LoggerMessage(EventId = 700, Level = LogLevel.Information,
        Message = "Generated a self-signed certificate for localhost, 127.0.0.1 and ::1, valid until {NotAfter:yyyy-MM-dd}. SHA-256 fingerprint: {Fingerprint}")]
    public static partial void SelfSignedCertificateGenerated(ILogger logger, DateTime notAfter, string fingerprint);

    [LoggerMessage(EventId = 701, Level = LogLevel.Information,
        Message = "Serving certificate {Subject}, valid until {NotAfter:yyyy-MM-dd}. SHA-256 fingerprint: {Fingerprint}")]
    public static partial void CertificateLoaded(ILogger logger, string subject, DateTime notAfter, string fingerprint);

    [LoggerMessage(EventId = 702, Level = LogLevel.Warning, Message = "{Warning}")]
    public static partial void CertificateWarning(ILogger logger, string warning);

    [LoggerMessage(EventId = 703, Level = LogLevel.Information,
        Message = "TLS handshake with {Peer} did not complete within {TimeoutSeconds} s; connection closed.")]
    public static partial void HandshakeTimedOut(ILogger logger, string? peer, double timeoutSeconds);

    [LoggerMessage(EventId = 704, Level = LogLevel.Information,
        Message = "TLS handshake with {Peer} failed: {Reason}")]
    public static partial void HandshakeFailed(ILogger logger, string? peer, string reason);

    /// <summary>The start-up lines for <paramref name="certificate"/>: what is served, its fingerprint, and any warning.</summary>
    public static void CertificateReady(ILogger logger, ServerCertificate certificate)
    {
        if (certificate.IsSelfSigned)
        {
            SelfSignedCertificateGenerated(logger, certificate.Certificate.NotAfter.ToUniversalTime(), certificate.Fingerprint);
        }
        else
        {
            CertificateLoaded(logger, certificate.Certificate.Subject, certificate.Certificate.NotAfter.ToUniversalTime(), certificate.Fingerprint);
        }

        foreach (var warning in certificate.Warnings)
        {
            CertificateWarning(logger, warning);
        }
    }
}
