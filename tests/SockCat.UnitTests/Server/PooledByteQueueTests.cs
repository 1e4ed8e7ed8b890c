using SockCat.Server.Transport;

namespace SockCat.UnitTests.Server;

public sealed class PooledByteQueueTests
{
    [Fact]
    public void PooledByteQueue_New_HoldsNoArray()
    {
        var queue = new PooledByteQueue();

        Assert.True(queue.IsEmpty);
        Assert.Equal(0, queue.Capacity);
        Assert.True(queue.Readable.IsEmpty);
    }

    [Fact]
    public void PooledByteQueue_ConsumedToEmpty_ReturnsItsArray()
    {
        var queue = new PooledByteQueue();
        queue.Append([1, 2, 3]);
        Assert.True(queue.Capacity >= PooledByteQueue.MinimumRent);

        queue.Consume(2);
        Assert.Equal(new byte[] { 3 }, queue.Readable.ToArray());
        queue.Consume(1);

        Assert.Equal(0, queue.Capacity);
        Assert.True(queue.IsEmpty);
    }

    [Fact]
    public void PooledByteQueue_AppendPastCapacity_KeepsOrderAcrossCompactAndGrow()
    {
        var queue = new PooledByteQueue();
        var expected = new List<byte>();
        var next = (byte)0;
        for (var round = 0; round < 200; round++)
        {
            var chunk = new byte[37 * (round % 50) + 1];
            for (var i = 0; i < chunk.Length; i++)
            {
                chunk[i] = next++;
            }

            queue.Append(chunk);
            expected.AddRange(chunk);
            var take = Math.Min(expected.Count, 29 * (round % 7));
            Assert.Equal(expected.Take(take).ToArray(), queue.Readable[..take].ToArray());
            queue.Consume(take);
            expected.RemoveRange(0, take);
        }

        Assert.Equal(expected.ToArray(), queue.Readable.ToArray());
    }

    [Fact]
    public void PooledByteQueue_WriteSpanThenAdvance_CommitsOnlyWhatWasAdvanced()
    {
        var queue = new PooledByteQueue();
        var span = queue.GetWriteSpan(10);
        Assert.True(span.Length >= 10);
        span[0] = 42;
        span[1] = 43;

        queue.Advance(2);

        Assert.Equal(new byte[] { 42, 43 }, queue.Readable.ToArray());
        Assert.Throws<ArgumentOutOfRangeException>(() => queue.Consume(3));
    }

    [Fact]
    public void PooledByteQueue_AdvanceZeroOnEmpty_ReleasesTheRent()
    {
        var queue = new PooledByteQueue();
        queue.GetWriteSpan(100);

        queue.Advance(0);

        Assert.Equal(0, queue.Capacity);
    }
}
