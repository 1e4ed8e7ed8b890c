using SockCat.Bench;

namespace SockCat.UnitTests.Bench;

public sealed class LatencyHistogramTests
{
    [Theory]
    [InlineData(50)]
    [InlineData(99)]
    [InlineData(99.9)]
    public void Percentile_UniformValues_WithinOnePercent(double percentile)
    {
        var h = new LatencyHistogram();
        for (var v = 1; v <= 100_000; v++)
        {
            h.Record(v * 10L);
        }

        var exact = percentile / 100 * 100_000 * 10;
        Assert.InRange(h.Percentile(percentile), exact * 0.99, exact * 1.01);
    }

    [Fact]
    public void Index_AcrossTheRange_IsMonotonicAndEdgesContainTheValue()
    {
        var last = -1;
        for (long v = 0; v < 1L << 40; v = v < 1000 ? v + 1 : v + (v / 97))
        {
            var i = LatencyHistogram.Index(v);
            Assert.True(i >= last, $"index of {v} went back");
            Assert.True(LatencyHistogram.UpperEdge(i) >= v, $"bucket {i} ends below {v}");
            last = i;
        }
    }

    [Fact]
    public void Add_TwoHistograms_MergesCountsMaxAndMean()
    {
        var a = new LatencyHistogram();
        var b = new LatencyHistogram();
        a.Record(1000);
        b.Record(3000);
        b.Record(5000);

        a.Add(b);

        Assert.Equal(3, a.Count);
        Assert.Equal(5000, a.Max);
        Assert.Equal(3000, a.Mean);
        Assert.Equal(5000, a.Percentile(100));
    }

    [Fact]
    public void Percentile_Empty_IsZero() => Assert.Equal(0, new LatencyHistogram().Percentile(99));
}
