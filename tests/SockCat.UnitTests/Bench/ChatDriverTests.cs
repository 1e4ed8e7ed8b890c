using SockCat.Bench;

namespace SockCat.UnitTests.Bench;

public sealed class ChatDriverTests
{
    [Fact]
    public void NodeOf_ThreeRoomsTwoNodes_EveryRoomHasMembersOnEveryNode()
    {
        // Connection i is in room i mod 3: room 0 is connections 0, 3, 6, 9.
        Assert.Equal([0, 1, 0, 1], new[] { 0, 3, 6, 9 }.Select(i => ChatDriver.NodeOf(i, rooms: 3, nodes: 2)));
        Assert.Equal([0, 1, 0, 1], new[] { 2, 5, 8, 11 }.Select(i => ChatDriver.NodeOf(i, rooms: 3, nodes: 2)));
    }

    [Fact]
    public void NodeOf_OneNode_AllOnTheUrl()
    {
        Assert.All(Enumerable.Range(0, 100), i => Assert.Equal(0, ChatDriver.NodeOf(i, rooms: 7, nodes: 1)));
    }
}
