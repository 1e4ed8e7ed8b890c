using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;

namespace SockCat.Server.Tls;

/// <summary>
/// SHA-256 certificate fingerprints as SockCat prints and accepts them: the hash of the certificate's DER bytes
/// in upper-case hex pairs separated by colons (<c>3A:F0:...</c>, 95 characters), as <c>openssl x509 -fingerprint
/// -sha256</c> shows it. What <c>sockcat connect --fingerprint</c> takes may have the colons or not, in any case.
/// </summary>
internal static class CertificateFingerprint
{
    /// <summary>The hash length in bytes.</summary>
    public const int Length = 32;

    /// <summary>The certificate's SHA-256 fingerprint, colon-separated upper-case hex.</summary>
    public static string Sha256(X509Certificate certificate) => Format(Hash(certificate));

    /// <summary>Formats a 32-byte hash as colon-separated upper-case hex.</summary>
    public static string Format(ReadOnlySpan<byte> hash)
    {
        return string.Create(hash.Length * 3 - 1, hash.ToArray(), static (chars, bytes) =>
        {
            for (var i = 0; i < bytes.Length; i++)
            {
                var at = i * 3;
                bytes[i].TryFormat(chars[at..], out _, "X2");
                if (i < bytes.Length - 1)
                {
                    chars[at + 2] = ':';
                }
            }
        });
    }

    /// <summary>
    /// Parses a fingerprint a user typed: 64 hex digits, with or without colons between the pairs, any case,
    /// surrounding spaces ignored. Returns false when it is not one.
    /// </summary>
    public static bool TryParse(string? text, out byte[] hash)
    {
        hash = [];
        if (text is null)
        {
            return false;
        }

        var digits = text.Trim().Replace(":", "", StringComparison.Ordinal);
        if (digits.Length != Length * 2 || !digits.All(char.IsAsciiHexDigit))
        {
            return false;
        }

        hash = Convert.FromHexString(digits);
        return true;
    }

    /// <summary>True when <paramref name="certificate"/>'s SHA-256 fingerprint is <paramref name="expected"/> (a parsed fingerprint).</summary>
    public static bool Matches(X509Certificate certificate, ReadOnlySpan<byte> expected) =>
        expected.Length == Length && Hash(certificate).AsSpan().SequenceEqual(expected);

    private static byte[] Hash(X509Certificate certificate) => SHA256.HashData(certificate.GetRawCertData());
}
