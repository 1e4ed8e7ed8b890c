using SockCat.Server.Tls;

namespace SockCat.Cli;

/// <summary>
/// A certificate the library could not use, said in the CLI's words: what is wrong is the library's, what to do names
/// --cert and --key, which the library knows nothing of.
/// </summary>
internal static class CertificateErrors
{
    public static string Describe(ServerCertificateException e)
    {
        var (what, option, alternative) = e.Input == ServerCertificateInput.Certificate
            ? ("certificate", "--cert", "leave --cert out for a self-signed one")
            : ("key", "--key", "leave --key out when the certificate file holds the key");
        var remedy = (e.Problem, e.Input) switch
        {
            (ServerCertificateProblem.KeyWithoutCertificate, _) => null,
            (ServerCertificateProblem.IsDirectory, _) => $"pass {option} with a PEM {what} file, or {alternative}",
            (ServerCertificateProblem.NotFound, _) => $"pass {option} with a PEM {what}, or {alternative}",
            (ServerCertificateProblem.PermissionDenied, _) => $"make it readable by this user, or pass another with {option}",
            (ServerCertificateProblem.Unreadable, _) => $"pass a PEM {what} file with {option}",
            (ServerCertificateProblem.NotPem, ServerCertificateInput.Certificate) =>
                $"pass a PEM certificate with --cert (convert DER with: openssl x509 -inform der -in {e.Path} -out cert.pem)",
            (ServerCertificateProblem.NotPem, _) =>
                $"pass the certificate's PEM private key with --key (convert DER with: openssl pkey -inform der -in {e.Path} -out key.pem)",
            (ServerCertificateProblem.Missing, ServerCertificateInput.Certificate) => "pass the certificate with --cert and its key with --key",
            (ServerCertificateProblem.Missing, _) => "pass the certificate's PEM private key with --key",
            (ServerCertificateProblem.NoKeyInCertificateFile, _) => "pass its key with --key, or put the key's PEM block in the same file",
            (ServerCertificateProblem.Encrypted, _) => $"decrypt it with: openssl pkey -in {e.Path} -out key.pem, and pass that with --key",
            (ServerCertificateProblem.KeyMismatch, _) => "pass the private key that belongs to this certificate with --key",
            (ServerCertificateProblem.Unusable, _) => "pass an RSA or ECDSA certificate and its unencrypted key, both PEM",
            _ => null,
        };

        return e.Problem switch
        {
            ServerCertificateProblem.KeyWithoutCertificate => $"--key {e.Path} was given without --cert; pass the certificate with --cert, or leave both out for a self-signed one",
            _ when remedy is null => e.Message,
            _ => $"{e.What}; {remedy}",
        };
    }
}
