using SockCat.Bench;
using SockCat.Endpoints;

namespace SockCat.UnitTests.Bench;

public sealed class BenchPatternTests
{
    [Fact]
    public void Slice_AcrossThePeriod_ContinuesThePattern()
    {
        var offset = BenchPattern.Offset(3);
        var start = BenchPattern.Period - offset - 10;

        var across = BenchPattern.Slice(start, offset, 20).ToArray();
        var tail = BenchPattern.Slice(start, offset, 10).ToArray();
        var head = BenchPattern.Slice(start + 10, offset, 10).ToArray();

        Assert.Equal(tail.Concat(head), across);
    }

    [Fact]
    public void Table_Everywhere_IsPeriodic()
    {
        var table = BenchPattern.Table;
        for (var i = BenchPattern.Period; i < table.Length; i++)
        {
            Assert.True(table[i] == table[i % BenchPattern.Period], $"byte {i} breaks the period");
        }
    }

    [Fact]
    public void Slice_LongestSliceFromTheTop_MatchesShortSlicesOfTheSameBytes()
    {
        var position = BenchPattern.Period - 1;
        var whole = BenchPattern.Slice(position, 0, BenchPattern.MaxChunk).ToArray();

        for (var k = 0; k < BenchPattern.MaxChunk; k += 997)
        {
            Assert.Equal(BenchPattern.Slice(position + k, 0, 1)[0], whole[k]);
        }
    }

    [Fact]
    public void Slice_TwoConnections_DifferAtTheSamePosition()
        => Assert.False(BenchPattern.Slice(0, BenchPattern.Offset(0), 32).SequenceEqual(BenchPattern.Slice(0, BenchPattern.Offset(1), 32)));

    [Fact]
    public void Slice_ShiftedByOneMessage_Differs()
        => Assert.False(BenchPattern.Slice(0, 0, 32).SequenceEqual(BenchPattern.Slice(32, 0, 32)));

    [Theory]
    [InlineData("udp://127.0.0.1:9", "tcp://, unix:// and tls://")]
    [InlineData("tcp://127.0.0.1:0", "port")]
    public void Validate_BadTarget_SaysWhy(string url, string expected)
    {
        var options = new BenchOptions { Mode = BenchMode.PingPong, Url = EndpointUrl.Parse(url) };

        Assert.Contains(expected, options.Validate());
    }

    [Fact]
    public void Validate_ZeroConnections_SaysWhy()
        => Assert.Contains("--connections", new BenchOptions { Mode = BenchMode.Conns, Url = EndpointUrl.Parse("tcp://127.0.0.1:9"), Connections = 0 }.Validate());

    [Fact]
    public void Validate_Defaults_AreValid()
        => Assert.Null(new BenchOptions { Mode = BenchMode.Stream, Url = EndpointUrl.Parse("tcp://127.0.0.1:9") }.Validate());
}
