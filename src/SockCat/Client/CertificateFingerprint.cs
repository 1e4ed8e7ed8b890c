using System.Globalization;
using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;

namespace SockCat.Client;

/// <summary>SHA-256 certificate fingerprints in the form <c>openssl x509 -fingerprint -sha256</c> prints: <c>AB:CD:...</c>.</summary>
public static class CertificateFingerprint
{
    /// <summary>The SHA-256 hash of <paramref name="certificate"/>'s DER encoding: the 32 bytes a fingerprint shows.</summary>
    public static byte[] Compute(X509Certificate certificate) => SHA256.HashData(certificate.GetRawCertData());

    /// <summary>Upper-case hex bytes separated by colons, as openssl prints them.</summary>
    public static string Format(ReadOnlySpan<byte> hash)
    {
        var hex = Convert.ToHexString(hash);
        return string.Join(':', Enumerable.Range(0, hex.Length / 2).Select(i => hex.Substring(i * 2, 2)));
    }

    /// <summary>Accepts 64 hex digits, with or without colons (or spaces), in either case; false, with an empty <paramref name="hash"/>, otherwise.</summary>
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

    /// <summary>The 32 bytes of <paramref name="text"/>, read as <see cref="TryParse"/> does.</summary>
    /// <exception cref="ArgumentException"><paramref name="text"/> is not 64 hex digits.</exception>
    public static byte[] Parse(string text) => TryParse(text, out var hash)
        ? hash
        : throw new ArgumentException(
            string.Create(CultureInfo.InvariantCulture, $"'{text}' is not a SHA-256 fingerprint; give 64 hex digits, colons optional, as 'openssl x509 -noout -fingerprint -sha256' prints them"),
            nameof(text));
}
