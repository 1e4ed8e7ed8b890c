using System.Security.Cryptography;
using System.Text;

namespace SockCat.Cli.Tests.Transfer;

/// <summary>Files to send, and the bytes of an upload spelled out by hand as docs/transfer.md gives them.</summary>
internal static class TransferFiles
{
    /// <summary>A file of <paramref name="size"/> random bytes; returns its path and SHA-256 (hex).</summary>
    public static (string Path, string Sha256) Random(string directory, string name, long size)
    {
        var path = System.IO.Path.Combine(directory, name);
        using var hash = IncrementalHash.CreateHash(HashAlgorithmName.SHA256);
        using (var file = new FileStream(path, FileMode.CreateNew, FileAccess.Write, FileShare.None, 0))
        {
            var buffer = new byte[1 << 20];
            for (long left = size; left > 0; left -= buffer.Length)
            {
                var n = (int)Math.Min(buffer.Length, left);
                RandomNumberGenerator.Fill(buffer.AsSpan(0, n));
                hash.AppendData(buffer.AsSpan(0, n));
                file.Write(buffer.AsSpan(0, n));
            }
        }

        return (path, Convert.ToHexStringLower(hash.GetHashAndReset()));
    }

    public static byte[] Header(string? name, long? size)
    {
        var text = new StringBuilder("sockcat-send 1\n");
        if (name is not null)
        {
            text.Append($"name: {name}\n");
        }

        if (size is not null)
        {
            text.Append($"size: {size}\n");
        }

        return Encoding.UTF8.GetBytes(text.Append('\n').ToString());
    }

    public static byte[] Trailer(byte[] payload) => Encoding.ASCII.GetBytes($"sha256: {Convert.ToHexStringLower(SHA256.HashData(payload))}\n");

    public static byte[] Upload(string? name, byte[] payload) => [.. Header(name, payload.Length), .. payload, .. Trailer(payload)];
}
