using System.Numerics;

namespace SockCat.Bench;

/// <summary>
/// A fixed-size log-linear histogram of latencies in nanoseconds, HdrHistogram-style: 128 linear steps per power of
/// two, so a percentile is within 1/128 (0.8%) of the true value, from 1 ns up to about 18 minutes. Recording is an
/// index computation and an increment: no allocation, no lock (each loop thread has its own; they are merged at the end).
/// </summary>
public sealed class LatencyHistogram
{
    private const int SubBits = 7;
    private const int SubCount = 1 << SubBits;   // 128 steps per power of two
    private const int MaxShift = 34;             // 255 << 34 ns is about 73 minutes
    private const int BucketCount = (MaxShift + 2) * SubCount;

    private readonly long[] _counts = new long[BucketCount];

    public long Count { get; private set; }

    public long Max { get; private set; }

    public long Min { get; private set; } = long.MaxValue;

    private double _sum;

    public double Mean => Count == 0 ? 0 : _sum / Count;

    public void Record(long nanoseconds)
    {
        if (nanoseconds < 0)
        {
            nanoseconds = 0;
        }

        _counts[Index(nanoseconds)]++;
        Count++;
        _sum += nanoseconds;
        if (nanoseconds > Max)
        {
            Max = nanoseconds;
        }

        if (nanoseconds < Min)
        {
            Min = nanoseconds;
        }
    }

    public void Reset()
    {
        Array.Clear(_counts);
        Count = 0;
        _sum = 0;
        Max = 0;
        Min = long.MaxValue;
    }

    public void Add(LatencyHistogram other)
    {
        for (var i = 0; i < BucketCount; i++)
        {
            _counts[i] += other._counts[i];
        }

        Count += other.Count;
        _sum += other._sum;
        Max = Math.Max(Max, other.Max);
        Min = Math.Min(Min, other.Min);
    }

    /// <summary>The value at <paramref name="percentile"/> (0–100): the upper edge of the bucket that holds it, capped at the maximum.</summary>
    public long Percentile(double percentile)
    {
        if (Count == 0)
        {
            return 0;
        }

        var rank = (long)Math.Ceiling(percentile / 100.0 * Count);
        rank = Math.Clamp(rank, 1, Count);
        long seen = 0;
        for (var i = 0; i < BucketCount; i++)
        {
            seen += _counts[i];
            if (seen >= rank)
            {
                return Math.Min(UpperEdge(i), Max);
            }
        }

        return Max;
    }

    internal static int Index(long value)
    {
        var msb = 63 - BitOperations.LeadingZeroCount((ulong)value | 1);
        var shift = Math.Max(0, msb - SubBits);
        if (shift > MaxShift)
        {
            return BucketCount - 1;
        }

        return (shift * SubCount) + (int)(value >> shift);
    }

    internal static long UpperEdge(int index)
    {
        if (index < 2 * SubCount)
        {
            return index;
        }

        var shift = (index / SubCount) - 1;
        var mantissa = index - (shift * SubCount);
        return ((long)(mantissa + 1) << shift) - 1;
    }
}
