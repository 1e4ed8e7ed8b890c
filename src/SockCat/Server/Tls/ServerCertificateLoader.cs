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
                throw new ServerCertificateException($"--key {keyPath} was given without --cert; pass the certificate with --cert, or leave both out for a self-signed one");
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
        var certificateText = ReadFile(certificatePath, "certificate", "--cert", "leave --cert out for a self-signed one");
        var certificateBlocks = FindBlocks(certificateText);
        if (!certificateBlocks.Any(b => b.Label == CertificateLabel))
        {
            throw new ServerCertificateException(certificateBlocks.Count == 0
                ? $"certificate file {certificatePath} is not PEM (no '-----BEGIN CERTIFICATE-----' line); pass a PEM certificate with --cert (convert DER with: openssl x509 -inform der -in {certificatePath} -out cert.pem)"
                : $"certificate file {certificatePath} holds no certificate, only {Describe(certificateBlocks)}; pass the certificate with --cert and its key with --key");
        }

        var keyFile = keyPath ?? certificatePath;
        var keyText = keyPath is null ? certificateText : ReadFile(keyPath, "key", "--key", "leave --key out when the certificate file holds the key");
        var keyBlocks = keyPath is null ? certificateBlocks : FindBlocks(keyText);
        if (!keyBlocks.Any(b => KeyLabels.Contains(b.Label)))
        {
            if (keyBlocks.Any(b => b.Label == EncryptedKeyLabel))
            {
                throw new ServerCertificateException($"key file {keyFile} is encrypted with a passphrase; decrypt it with: openssl pkey -in {keyFile} -out key.pem, and pass that with --key");
            }

            throw new ServerCertificateException(keyPath is null
                ? $"certificate file {certificatePath} has no private key; pass its key with --key, or put the key's PEM block in the same file"
                : keyBlocks.Count == 0
                    ? $"key file {keyPath} is not PEM (no '-----BEGIN PRIVATE KEY-----' line); pass the certificate's PEM private key with --key (convert DER with: openssl pkey -inform der -in {keyPath} -out key.pem)"
                    : $"key file {keyPath} holds no private key, only {Describe(keyBlocks)}; pass the certificate's PEM private key with --key");
        }

        X509Certificate2 loaded;
        try
        {
            loaded = X509Certificate2.CreateFromPem(certificateText, keyText);
        }
        catch (ArgumentException ex)
        {
            throw new ServerCertificateException($"key file {keyFile} does not match certificate {certificatePath}; pass the private key that belongs to this certificate with --key", ex);
        }
        catch (CryptographicException ex)
        {
            throw new ServerCertificateException($"cannot use certificate {certificatePath} with key {keyFile}: {OneLine(ex.Message)}; pass an RSA or ECDSA certificate and its unencrypted key, both PEM", ex);
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
            warnings.Add($"certificate {certificatePath} expired on {Format(notAfter)}; clients that verify certificates will refuse it: renew it, or leave --cert out for a self-signed one");
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

    private static string ReadFile(string path, string what, string option, string alternative)
    {
        if (Directory.Exists(path))
        {
            throw new ServerCertificateException($"{what} path {path} is a directory; pass {option} with a PEM {what} file, or {alternative}");
        }

        try
        {
            return File.ReadAllText(path);
        }
        catch (Exception ex) when (ex is FileNotFoundException or DirectoryNotFoundException)
        {
            throw new ServerCertificateException($"{what} file {path} not found; pass {option} with a PEM {what}, or {alternative}", ex);
        }
        catch (UnauthorizedAccessException ex)
        {
            throw new ServerCertificateException($"cannot read {what} file {path}: permission denied; make it readable by this user, or pass another with {option}", ex);
        }
        catch (IOException ex)
        {
            throw new ServerCertificateException($"cannot read {what} file {path}: {OneLine(ex.Message)}; pass a PEM {what} file with {option}", ex);
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
