using System.Globalization;
using System.Net;
using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;

namespace SockCat.Server.Tls;

/// <summary>
/// Gets the certificate for <c>tls://</c> listeners: from <c>--cert</c> and <c>--key</c> PEM files (or one PEM file
/// holding both), or, when neither is given, a self-signed one generated at start for localhost, 127.0.0.1 and ::1.
/// </summary>
/// <remarks>
/// An expired certificate, or one not valid yet, is served with a warning rather than refused: clients that pin it
/// (<c>sockcat connect --fingerprint</c>) or skip checks (<c>--insecure</c>) still work, and the warning tells the
/// user why verifying clients fail. Everything that makes the certificate unusable is a
/// <see cref="ServerCertificateException"/> with a one-line message.
/// </remarks>
public static class ServerCertificateLoader
{
    private const string CertificateLabel = "CERTIFICATE";
    private const string EncryptedKeyLabel = "ENCRYPTED PRIVATE KEY";
    private static readonly string[] KeyLabels = ["PRIVATE KEY", "RSA PRIVATE KEY", "EC PRIVATE KEY"];

    /// <summary>How long a generated certificate is valid, from one day before it was made (to absorb clock skew).</summary>
    public static readonly TimeSpan SelfSignedLifetime = TimeSpan.FromDays(365);

    /// <summary>
    /// Loads the certificate from <paramref name="certificatePath"/> and its key from <paramref name="keyPath"/> (or from
    /// the certificate file when null), or generates a self-signed one when both are null.
    /// </summary>
    /// <exception cref="ServerCertificateException">A file is missing, unreadable, not PEM, or the key does not fit.</exception>
    public static ServerCertificate Load(string? certificatePath, string? keyPath)
    {
        if (certificatePath is null)
        {
            if (keyPath is not null)
            {
                throw new ServerCertificateException(ServerCertificateProblem.KeyWithoutCertificate, ServerCertificateInput.Key, keyPath,
                    $"key file {keyPath} was given without a certificate", "give the certificate too, or neither for a self-signed one");
            }

            return CreateSelfSigned();
        }

        return LoadPem(certificatePath, keyPath, DateTimeOffset.UtcNow);
    }

    /// <summary>
    /// Generates a self-signed ECDSA P-256 certificate for the names a loopback client uses (DNS localhost, IP 127.0.0.1,
    /// IP ::1), for server authentication, valid from a day before <paramref name="now"/> (default: the current time)
    /// for <see cref="SelfSignedLifetime"/>.
    /// </summary>
    public static ServerCertificate CreateSelfSigned(DateTimeOffset? now = null)
    {
        var start = (now ?? DateTimeOffset.UtcNow).AddDays(-1);
        using var key = ECDsa.Create(ECCurve.NamedCurves.nistP256);
        var request = new CertificateRequest("CN=localhost, O=SockCat self-signed", key, HashAlgorithmName.SHA256);

        var names = new SubjectAlternativeNameBuilder();
        names.AddDnsName("localhost");
        names.AddIpAddress(IPAddress.Loopback);
        names.AddIpAddress(IPAddress.IPv6Loopback);
        request.CertificateExtensions.Add(names.Build());
        request.CertificateExtensions.Add(new X509BasicConstraintsExtension(false, false, 0, true));
        request.CertificateExtensions.Add(new X509KeyUsageExtension(X509KeyUsageFlags.DigitalSignature, true));
        request.CertificateExtensions.Add(new X509EnhancedKeyUsageExtension([new Oid("1.3.6.1.5.5.7.3.1", "Server Authentication")], false));
        request.CertificateExtensions.Add(new X509SubjectKeyIdentifierExtension(request.PublicKey, false));

        using var created = request.CreateSelfSigned(start, start + SelfSignedLifetime);
        return new ServerCertificate(Reimport(created), [], isSelfSigned: true, []);
    }

    /// <summary>
    /// Loads a PEM certificate (the first CERTIFICATE block; later ones are sent as its chain) and its PEM private key
    /// (PKCS#8, RSA or EC) from <paramref name="keyPath"/>, or from the certificate file when that is null.
    /// <paramref name="now"/> is the time the validity warnings are judged against.
    /// </summary>
    /// <exception cref="ServerCertificateException">A file is missing, unreadable, not PEM, or the key does not fit.</exception>
    public static ServerCertificate LoadPem(string certificatePath, string? keyPath, DateTimeOffset now)
    {
        var certificateText = ReadFile(certificatePath, ServerCertificateInput.Certificate);
        var certificateBlocks = FindBlocks(certificateText);
        if (!certificateBlocks.Any(b => b.Label == CertificateLabel))
        {
            throw certificateBlocks.Count == 0
                ? new ServerCertificateException(ServerCertificateProblem.NotPem, ServerCertificateInput.Certificate, certificatePath,
                    $"certificate file {certificatePath} is not PEM (no '-----BEGIN CERTIFICATE-----' line)",
                    $"give a PEM certificate (convert DER with: openssl x509 -inform der -in {certificatePath} -out cert.pem)")
                : new ServerCertificateException(ServerCertificateProblem.Missing, ServerCertificateInput.Certificate, certificatePath,
                    $"certificate file {certificatePath} holds no certificate, only {Describe(certificateBlocks)}", "give the certificate file and its key file");
        }

        var keyFile = keyPath ?? certificatePath;
        var keyText = keyPath is null ? certificateText : ReadFile(keyPath, ServerCertificateInput.Key);
        var keyBlocks = keyPath is null ? certificateBlocks : FindBlocks(keyText);
        if (!keyBlocks.Any(b => KeyLabels.Contains(b.Label)))
        {
            if (keyBlocks.Any(b => b.Label == EncryptedKeyLabel))
            {
                throw new ServerCertificateException(ServerCertificateProblem.Encrypted, ServerCertificateInput.Key, keyFile,
                    $"key file {keyFile} is encrypted with a passphrase", $"decrypt it with: openssl pkey -in {keyFile} -out key.pem, and give that as the key");
            }

            throw keyPath is null
                ? new ServerCertificateException(ServerCertificateProblem.NoKeyInCertificateFile, ServerCertificateInput.Key, certificatePath,
                    $"certificate file {certificatePath} has no private key", "give its key file too, or put the key's PEM block in the same file")
                : keyBlocks.Count == 0
                    ? new ServerCertificateException(ServerCertificateProblem.NotPem, ServerCertificateInput.Key, keyPath,
                        $"key file {keyPath} is not PEM (no '-----BEGIN PRIVATE KEY-----' line)",
                        $"give the certificate's PEM private key (convert DER with: openssl pkey -inform der -in {keyPath} -out key.pem)")
                    : new ServerCertificateException(ServerCertificateProblem.Missing, ServerCertificateInput.Key, keyPath,
                        $"key file {keyPath} holds no private key, only {Describe(keyBlocks)}", "give the certificate's PEM private key");
        }

        X509Certificate2 loaded;
        try
        {
            loaded = X509Certificate2.CreateFromPem(certificateText, keyText);
        }
        catch (ArgumentException ex)
        {
            throw new ServerCertificateException(ServerCertificateProblem.KeyMismatch, ServerCertificateInput.Key, keyFile,
                $"key file {keyFile} does not match certificate {certificatePath}", "give the private key that belongs to this certificate", ex);
        }
        catch (CryptographicException ex)
        {
            throw new ServerCertificateException(ServerCertificateProblem.Unusable, ServerCertificateInput.Certificate, certificatePath,
                $"cannot use certificate {certificatePath} with key {keyFile}: {OneLine(ex.Message)}", "give an RSA or ECDSA certificate and its unencrypted key, both PEM", ex);
        }

        X509Certificate2 certificate;
        using (loaded)
        {
            certificate = Reimport(loaded);
        }

        var chain = new X509Certificate2Collection();
        chain.ImportFromPem(certificateText);
        var leafAgain = chain[0];
        chain.RemoveAt(0);
        leafAgain.Dispose();

        var warnings = new List<string>();
        var notAfter = new DateTimeOffset(certificate.NotAfter.ToUniversalTime(), TimeSpan.Zero);
        var notBefore = new DateTimeOffset(certificate.NotBefore.ToUniversalTime(), TimeSpan.Zero);
        if (notAfter < now)
        {
            warnings.Add($"certificate {certificatePath} expired on {Format(notAfter)}; clients that verify certificates will refuse it: renew it, or serve a self-signed one instead");
        }
        else if (notBefore > now)
        {
            warnings.Add($"certificate {certificatePath} is not valid until {Format(notBefore)}; clients that verify certificates will refuse it until then: check the clock, or the certificate's dates");
        }

        return new ServerCertificate(certificate, chain, isSelfSigned: false, warnings);
    }

    // A key made in memory (CreateFromPem, CreateSelfSigned) is bound to the certificate object only; a PKCS#12
    // round trip gives a certificate whose key every SslStream platform can use, and one the caller owns alone.
    private static X509Certificate2 Reimport(X509Certificate2 certificate) =>
        X509CertificateLoader.LoadPkcs12(certificate.Export(X509ContentType.Pkcs12), password: null);

    private static string ReadFile(string path, ServerCertificateInput input)
    {
        var what = input == ServerCertificateInput.Certificate ? "certificate" : "key";
        if (Directory.Exists(path))
        {
            throw new ServerCertificateException(ServerCertificateProblem.IsDirectory, input, path, $"{what} path {path} is a directory", $"give a PEM {what} file");
        }

        try
        {
            return File.ReadAllText(path);
        }
        catch (Exception ex) when (ex is FileNotFoundException or DirectoryNotFoundException)
        {
            throw new ServerCertificateException(ServerCertificateProblem.NotFound, input, path, $"{what} file {path} not found", $"give a PEM {what} file that exists", ex);
        }
        catch (UnauthorizedAccessException ex)
        {
            throw new ServerCertificateException(ServerCertificateProblem.PermissionDenied, input, path, $"cannot read {what} file {path}: permission denied", "make it readable by this user, or give another", ex);
        }
        catch (IOException ex)
        {
            throw new ServerCertificateException(ServerCertificateProblem.Unreadable, input, path, $"cannot read {what} file {path}: {OneLine(ex.Message)}", $"give a PEM {what} file", ex);
        }
    }

    private static List<(string Label, int Start)> FindBlocks(string text)
    {
        var blocks = new List<(string, int)>();
        var offset = 0;
        while (offset < text.Length && PemEncoding.TryFind(text.AsSpan(offset), out var fields))
        {
            var label = text.AsSpan(offset)[fields.Label].ToString();
            blocks.Add((label, offset + fields.Location.Start.Value));
            offset += fields.Location.End.Value;
        }

        return blocks;
    }

    private static string Describe(List<(string Label, int Start)> blocks) =>
        string.Join(", ", blocks.Select(b => b.Label).Distinct().Select(l => $"a {l} block"));

    private static string Format(DateTimeOffset time) => time.ToString("yyyy-MM-dd HH:mm 'UTC'", CultureInfo.InvariantCulture);

    private static string OneLine(string message) => message.ReplaceLineEndings(" ").TrimEnd('.', ' ');
}
