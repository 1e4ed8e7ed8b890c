namespace SockCat.Bench;

/// <summary>
/// The bytes every connection sends, and so the bytes its echo must contain: byte p of connection i is
/// <c>Table[(p + Offset(i)) % Period]</c>. The pattern is pseudo-random with a prime period, so a lost, duplicated,
/// reordered or corrupted byte, or bytes from another connection, do not match; sending and checking are a slice
/// of one table (no per-message copy, and the check is a vectorised compare).
/// </summary>
internal static class BenchPattern
{
    /// <summary>The largest contiguous slice taken at once: one send, one receive.</summary>
    public const int MaxChunk = 64 * 1024;

    // Prime, and larger than the in-flight window of one receive, so a shift by less than a period is seen.
    public const int Period = 65521;

    private static readonly byte[] s_table = Build();

    public static ReadOnlySpan<byte> Table => s_table;

    public static int Offset(int connection) => (int)((connection * 7919L) % Period);

    /// <summary>The expected bytes at stream position <paramref name="position"/> of a connection with <paramref name="offset"/>.</summary>
    public static ReadOnlySpan<byte> Slice(long position, int offset, int length)
        => new(s_table, (int)((position + offset) % Period), length);

    private static byte[] Build()
    {
        var table = GC.AllocateArray<byte>(Period + MaxChunk, pinned: true);
        ulong x = 0x9E3779B97F4A7C15;
        for (var i = 0; i < Period; i++)
        {
            x ^= x << 13;
            x ^= x >> 7;
            x ^= x << 17;
            table[i] = (byte)(x >> 24);
        }

        // The tail repeats the head so any slice of up to MaxChunk reads on without wrapping. MaxChunk exceeds
        // Period, so the tail runs past one period: copy byte by byte modulo Period, never one overlapping block.
        for (var i = Period; i < table.Length; i++)
        {
            table[i] = table[i - Period];
        }

        return table;
    }

    /// <summary>The table's address: it is pinned for the process's life, so the loop sends from it directly.</summary>
    public static unsafe byte* Pointer => (byte*)System.Runtime.CompilerServices.Unsafe.AsPointer(ref s_table[0]);
}
