using System.Globalization;
using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;

namespace SockCat.Client;

/// <summary>SHA-256 certificate fingerprints in the form <c>openssl x509 -fingerprint -sha256</c> prints: <c>AB:CD:...</c>.</summary>
internal static class CertificateFingerprint
{
    public static byte[] Compute(X509Certificate certificate) => SHA256.HashData(certificate.GetRawCertData());

    public static string Format(ReadOnlySpan<byte> hash)
    {
        var hex = Convert.ToHexString(hash);
        return string.Join(':', Enumerable.Range(0, hex.Length / 2).Select(i => hex.Substring(i * 2, 2)));
    }

    /// <summary>Accepts 64 hex digits, with or without colons (or spaces), in either case.</summary>
    public static bool TryParse(string text, out byte[] hash)
    {
        var digits = string.Concat(text.Where(c => c is not (':' or ' ' or '-')));
        if (digits.Length == 64 && digits.All(char.IsAsciiHexDigit))
        {
            hash = Convert.FromHexString(digits);
            return true;
        }

        hash = [];
        return false;
    }

    public static byte[] Parse(string text) => TryParse(text, out var hash)
        ? hash
        : throw new ArgumentException(
            string.Create(CultureInfo.InvariantCulture, $"'{text}' is not a SHA-256 fingerprint; give 64 hex digits, colons optional, as 'openssl x509 -noout -fingerprint -sha256' prints them"),
            nameof(text));
}
