using Microsoft.Extensions.Logging;

namespace SockCat.Cli.Commands;

/// <summary>
/// The warnings about a certificate the CLI loaded (<c>--cert</c>): the library's own TLS line 702 (its TlsLog is
/// internal), written under the same category, id and name so text and JSON logs read as before.
/// </summary>
internal static partial class ServeCertificateLog
{
    public const string Category = "SockCat.Server.Tls";

    [LoggerMessage(EventId = 702, EventName = "CertificateWarning", Level = LogLevel.Warning, Message = "{Warning}")]
    public static partial void CertificateWarning(ILogger logger, string warning);
}
