using System.CommandLine;
using System.Security.Cryptography.X509Certificates;
using SockCat.Server.Access;
using SockCat.Server.Tls;

namespace SockCat.Cli.Commands;

/// <summary>
/// The server-side options `listen` and every `serve` verb share, defined and checked once: --allow/--deny (the
/// library's <see cref="AccessList"/>) and --cert/--key (its <see cref="ServerCertificateLoader"/>). Only the help's
/// wording differs: `listen` takes one client at a time, a server many.
/// </summary>
internal sealed class ListenerOptions(bool server)
{
    public Option<string[]> Allow { get; } = new("--allow")
    {
        HelpName = "ADDR[/BITS]",
        Description = server
            ? "Serve only clients from these addresses or CIDR ranges (repeatable, or comma-separated: 127.0.0.1,10.0.0.0/8); the others are closed before any byte is read"
            : "Take only clients from these addresses or CIDR ranges (repeatable, or comma-separated: 127.0.0.1,10.0.0.0/8); the others are closed before any byte, and sockcat waits for the next",
    };

    public Option<string[]> Deny { get; } = new("--deny")
    {
        HelpName = "ADDR[/BITS]",
        Description = server
            ? "Close clients from these addresses or CIDR ranges before any byte is read (repeatable, or comma-separated); wins over --allow"
            : "Close clients from these addresses or CIDR ranges before any byte (repeatable, or comma-separated); wins over --allow",
    };

    public Option<string?> Certificate { get; } = new("--cert")
    {
        HelpName = "FILE",
        Description = server
            ? "PEM certificate (and chain) for tls:// endpoints [default: a self-signed one for localhost, made at start; its fingerprint is printed]"
            : "tls: PEM certificate (and chain) [default: a self-signed one for localhost, made at start; its fingerprint is printed]",
    };

    public Option<string?> Key { get; } = new("--key")
    {
        HelpName = "FILE",
        Description = server
            ? "PEM private key for --cert (unencrypted) [default: read from the --cert file]"
            : "tls: PEM private key for --cert (unencrypted) [default: read from the --cert file]",
    };

    public void AddTo(Command command)
    {
        command.Options.Add(Allow);
        command.Options.Add(Deny);
        command.Options.Add(Certificate);
        command.Options.Add(Key);
    }

    public AccessList ReadAccess(ParseResult parseResult)
    {
        try
        {
            return AccessList.Parse(parseResult.GetValue(Allow), parseResult.GetValue(Deny));
        }
        catch (AccessListFormatException e)
        {
            throw new CliException(e.Message, ExitCodes.Usage, e);
        }
    }

    public (string? Certificate, string? Key) ReadCertificatePaths(ParseResult parseResult) =>
        (parseResult.GetValue(Certificate), parseResult.GetValue(Key));

    /// <summary>
    /// Loads --cert/--key, or makes a self-signed certificate, and says on stderr what it is with its SHA-256 fingerprint
    /// (for `connect --fingerprint`), in serve's words. A certificate that cannot be used is exit 5, as for serve.
    /// </summary>
    public static async Task<ServerCertificate> LoadCertificateAsync(string? certificatePath, string? keyPath, TextWriter error)
    {
        if (!TryLoadCertificate(certificatePath, keyPath, out var certificate, out var problem, out var exception))
        {
            throw new CliException(problem, ExitCodes.ListenFailed, exception);
        }

        await error.WriteLineAsync(Announce(certificate)).ConfigureAwait(false);
        foreach (var warning in certificate.Warnings)
        {
            await error.WriteLineAsync($"sockcat: warning: {warning}").ConfigureAwait(false);
        }

        return certificate;
    }

    /// <summary>Loads --cert/--key, or makes a self-signed certificate; on failure, the one line that says why in the CLI's words.</summary>
    public static bool TryLoadCertificate(
        string? certificatePath, string? keyPath,
        [System.Diagnostics.CodeAnalysis.NotNullWhen(true)] out ServerCertificate? certificate,
        [System.Diagnostics.CodeAnalysis.NotNullWhen(false)] out string? problem,
        out ServerCertificateException? exception)
    {
        try
        {
            certificate = ServerCertificateLoader.Load(certificatePath, keyPath);
            (problem, exception) = (null, null);
            return true;
        }
        catch (ServerCertificateException e)
        {
            (certificate, problem, exception) = (null, CertificateErrors.Describe(e), e);
            return false;
        }
    }

    /// <summary>The line serve and listen print at start: what the certificate is, and its SHA-256 fingerprint.</summary>
    public static string Announce(ServerCertificate certificate)
    {
        var what = certificate.IsSelfSigned
            ? "self-signed for localhost, 127.0.0.1, ::1"
            : $"{certificate.Certificate.GetNameInfo(X509NameType.SimpleName, forIssuer: false)}, valid until {certificate.Certificate.NotAfter.ToUniversalTime():yyyy-MM-dd}";
        return $"sockcat: TLS certificate {what}; SHA-256 {certificate.Fingerprint}";
    }
}
