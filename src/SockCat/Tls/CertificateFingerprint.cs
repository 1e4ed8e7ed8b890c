using System.Globalization;
using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;

namespace SockCat.Tls;

/// <summary>
/// SHA-256 certificate fingerprints as SockCat prints and accepts them, for the client's pinning
/// (<see cref="Client.ConnectOptions.CertificateFingerprint"/>) and the server's log alike: the hash of the
/// certificate's DER bytes in upper-case hex pairs separated by colons (<c>3A:F0:...</c>, 95 characters), as
/// <c>openssl x509 -noout -fingerprint -sha256</c> shows it.
/// </summary>
public static class CertificateFingerprint
{
    // The hash length in bytes.
    internal const int Length = 32;

    /// <summary>The certificate's SHA-256 fingerprint, colon-separated upper-case hex.</summary>
    /// <param name="certificate">The certificate whose DER bytes are hashed.</param>
    public static string Sha256(X509Certificate certificate)
    {
        ArgumentNullException.ThrowIfNull(certificate);
        return Format(Compute(certificate));
    }

    /// <summary>Formats a hash as colon-separated upper-case hex pairs (<c>00:0A:FF</c>); empty for an empty hash.</summary>
    /// <param name="hash">The hash bytes, usually the 32 that <see cref="TryParse"/> gives.</param>
    public static string Format(ReadOnlySpan<byte> hash)
    {
        if (hash.IsEmpty)
        {
            return "";
        }

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
    /// Parses a fingerprint a person typed or pasted: 64 hex digits in either case, with or without colons (or
    /// spaces, or dashes) between them, surrounding white space ignored.
    /// </summary>
    /// <param name="text">The fingerprint as typed.</param>
    /// <param name="hash">The 32 hash bytes; empty when <paramref name="text"/> is not a SHA-256 fingerprint.</param>
    /// <returns>False when <paramref name="text"/> is not a SHA-256 fingerprint.</returns>
    public static bool TryParse(string? text, out byte[] hash)
    {
        hash = [];
        if (text is null)
        {
            return false;
        }

        var digits = string.Concat(text.Trim().Where(c => c is not (':' or ' ' or '-')));
        if (digits.Length != Length * 2 || !digits.All(char.IsAsciiHexDigit))
        {
            return false;
        }

        hash = Convert.FromHexString(digits);
        return true;
    }

    /// <summary>True when <paramref name="certificate"/>'s SHA-256 fingerprint is <paramref name="expected"/>.</summary>
    /// <param name="certificate">The certificate a peer presented.</param>
    /// <param name="expected">A fingerprint as <see cref="TryParse"/> gives it.</param>
    public static bool Matches(X509Certificate certificate, ReadOnlySpan<byte> expected)
    {
        ArgumentNullException.ThrowIfNull(certificate);
        return expected.Length == Length && Compute(certificate).AsSpan().SequenceEqual(expected);
    }

    internal static byte[] Compute(X509Certificate certificate) => SHA256.HashData(certificate.GetRawCertData());

    // For options handed to the library in code: a bad fingerprint there is the caller's bug, so it throws.
    internal static byte[] Parse(string text, string paramName) => TryParse(text, out var hash)
        ? hash
        : throw new ArgumentException(
            string.Create(CultureInfo.InvariantCulture, $"'{text}' is not a SHA-256 fingerprint; give 64 hex digits, colons optional, as 'openssl x509 -noout -fingerprint -sha256' prints them"),
            paramName);
}
