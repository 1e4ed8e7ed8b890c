using System.Text;
using SockCat.Services.Echo;
using SockCat.Testing;

namespace SockCat.UnitTests.Services;

public class EchoProtocolTests
{
    private static readonly byte[] Message = Encoding.ASCII.GetBytes("hello\r\nworld, in pieces\n");

    [Fact]
    public void Echo_EverySplitPoint_EchoesEveryByteInOrder()
    {
        for (var i = 0; i <= Message.Length; i++)
        {
            for (var j = i; j <= Message.Length; j++)
            {
                var connection = Connected();
                connection.SendSplit(Message, i, j);
                Assert.Equal(Message, connection.Output);
                Assert.Equal(0, connection.Unconsumed.Length);
            }
        }
    }

    [Fact]
    public void Echo_OneByteAtATime_EchoesEveryByte()
    {
        var connection = Connected();
        connection.SendInPieces(Message, 1);
        Assert.Equal(Message, connection.Output);
    }

    [Fact]
    public void EndInput_HalfClosesAfterTheLastEcho_ThenCloses()
    {
        var connection = Connected();
        connection.Send("last words");
        connection.EndInput();
        Assert.Equal("last words", connection.OutputText);
        Assert.Equal(["shutdown-send"], connection.Events);
        Assert.True(connection.SendShut);
        Assert.True(connection.IsClosed);
        Assert.Null(connection.ClosedReason);
    }

    [Fact]
    public void PeerNotReading_ReadingStopsOverTheBound_ResumesWhenTaken()
    {
        var connection = new InMemoryConnection(EchoProtocol.Instance, maxOutputQueueBytes: 1024) { PeerReadsAll = false };
        connection.Connect();
        var chunk = new byte[600];
        connection.Send(chunk);
        connection.Send(chunk); // 1200 queued: over the bound, so the next is held, not read
        connection.Send(chunk);
        Assert.Equal(1200, connection.PendingOutputBytes);
        Assert.False(connection.IsClosed);

        connection.TakeOutput(); // the peer reads: the held 600 are read and echoed
        Assert.Equal(600, connection.PendingOutputBytes);
        Assert.Equal(1200, connection.Output.Length);
    }

    [Fact]
    public void HugeWriteForAPeerNotReading_Aborts()
    {
        // The engine's rule: a protocol that queues more than twice the bound for a peer that is not reading is cut.
        var connection = new InMemoryConnection(EchoProtocol.Instance, maxOutputQueueBytes: 1024) { PeerReadsAll = false };
        connection.Connect();
        connection.Send(new byte[4096]);
        Assert.True(connection.IsClosed);
        Assert.Equal("over 2048 bytes queued for a peer that is not reading", connection.ClosedReason);
        Assert.Equal(0, connection.PendingOutputBytes);
    }

    [Fact]
    public void UseOutsideACall_Throws()
    {
        var connection = Connected();
        Assert.Throws<InvalidOperationException>(() => connection.Write("x"u8));
        Assert.True(connection.Post((c, _) => c.Write("posted"u8), null));
        Assert.Equal("", connection.OutputText);
        Assert.Equal(1, connection.RunPosted());
        Assert.Equal("posted", connection.OutputText);
    }

    private static InMemoryConnection Connected()
    {
        var connection = new InMemoryConnection(EchoProtocol.Instance);
        connection.Connect();
        return connection;
    }
}
