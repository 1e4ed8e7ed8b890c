using System.Text;
using SockCat.Services.Broker;
using SockCat.Testing;

namespace SockCat.UnitTests.Services;

public class BrokerProtocolTests
{
    [Fact]
    public void Line_GoesToEveryOtherMember_NotBackToItsSender()
    {
        var (hub, members) = Room(3);
        members[0].Send("hello\n");
        RunAll(members);
        Assert.Equal("", members[0].OutputText);
        Assert.Equal("hello\n", members[1].OutputText);
        Assert.Equal("hello\n", members[2].OutputText);
        Assert.Equal(1, hub.LinesRelayed);
    }

    [Fact]
    public void Lines_EverySplitPoint_ArriveWholeAndInOrder()
    {
        var input = Encoding.ASCII.GetBytes("one\r\ntwo\n\nthree\n");
        for (var i = 0; i <= input.Length; i++)
        {
            for (var j = i; j <= input.Length; j++)
            {
                var (_, members) = Room(2);
                members[0].SendSplit(input, i, j);
                RunAll(members);
                Assert.Equal("one\r\ntwo\n\nthree\n", members[1].OutputText);
            }
        }
    }

    [Fact]
    public void IncompleteLine_IsNotRelayedUntilItsNewline()
    {
        var (_, members) = Room(2);
        members[0].Send("hal");
        RunAll(members);
        Assert.Equal("", members[1].OutputText);
        members[0].Send("f\n");
        RunAll(members);
        Assert.Equal("half\n", members[1].OutputText);
    }

    [Fact]
    public void ManyLinesBeforeADrain_CostTheMemberOnePost()
    {
        var (_, members) = Room(3);
        members[0].Send("a\n");
        members[1].Send("b\n");
        members[0].Send("c\n");
        Assert.Equal(1, members[2].PostedCount);
        RunAll(members);
        Assert.Equal("a\nb\nc\n", members[2].OutputText);
    }

    [Fact]
    public void TooLongLine_SenderToldOnce_NothingRelayed_NextLinesFlow()
    {
        var (hub, members) = Room(2, maxLineLength: 8);
        members[0].Send("ok\n123456789");
        members[0].Send("0123456789");
        members[0].Send("abc\nfine\n");
        RunAll(members);
        Assert.Equal("sockcat: line longer than 8 bytes not relayed; send shorter lines\n", members[0].OutputText);
        Assert.Equal("ok\nfine\n", members[1].OutputText);
        Assert.Equal(1, hub.LinesTooLong);
        Assert.False(members[0].IsClosed);
    }

    [Fact]
    public void EndlessLine_KeptBelowTheBound_ReportedOnce()
    {
        var (_, members) = Room(2, maxLineLength: 16);
        for (var i = 0; i < 100; i++)
        {
            members[0].Send("xxxxxxx");
            Assert.True(members[0].Unconsumed.Length <= 17);
        }

        RunAll(members);
        Assert.Single(members[0].OutputText.Split('\n', StringSplitOptions.RemoveEmptyEntries));
        Assert.Equal("", members[1].OutputText);
    }

    [Fact]
    public void LastLineWithoutNewline_RelayedWithOne_ThenTheMemberLeaves()
    {
        var (hub, members) = Room(3);
        members[0].Send("bye");
        members[0].EndInput();
        RunAll(members);
        Assert.Equal("bye\n", members[1].OutputText);
        Assert.Equal("bye\n", members[2].OutputText);
        Assert.True(members[0].IsClosed);
        Assert.Equal(2, hub.MemberCount);
    }

    [Fact]
    public void MemberNotReading_IsCutWithAReason_OthersKeepReceiving()
    {
        var (hub, members) = Room(3, maxOutputQueueBytes: 1024);
        members[2].PeerReadsAll = false;
        var line = new string('x', 99) + "\n";
        for (var i = 0; i < 100; i++)
        {
            members[0].Send(line);
            RunAll(members);
        }

        Assert.True(members[2].IsClosed);
        Assert.Equal("over 2048 bytes queued for a peer that is not reading", members[2].ClosedReason);
        Assert.Equal(100 * line.Length, members[1].Output.Length);
        Assert.Equal(2, hub.MemberCount);
    }

    [Fact]
    public void ClosedMember_LeavesTheRoom_LinesStillReachTheRest()
    {
        var (hub, members) = Room(3);
        members[1].Terminate("gone");
        members[0].Send("after\n");
        RunAll(members);
        Assert.Equal(2, hub.MemberCount);
        Assert.Equal("", members[1].OutputText);
        Assert.Equal("after\n", members[2].OutputText);
    }

    private static (BrokerHub Hub, InMemoryConnection[] Members) Room(int count, int maxLineLength = 1024, int maxOutputQueueBytes = 256 * 1024)
    {
        var hub = new BrokerHub(new BrokerOptions { MaxLineLength = maxLineLength });
        var members = new InMemoryConnection[count];
        for (var i = 0; i < count; i++)
        {
            members[i] = new InMemoryConnection(hub.CreateProtocol, id: i + 1, maxOutputQueueBytes: maxOutputQueueBytes);
            members[i].Connect();
        }

        return (hub, members);
    }

    private static void RunAll(InMemoryConnection[] members)
    {
        while (members.Sum(m => m.RunPosted()) > 0)
        {
        }
    }
}
