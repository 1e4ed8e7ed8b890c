using System.Net;
using System.Net.Sockets;
using SockCat.Server.Udp;

namespace SockCat.UnitTests.Server.Udp;

public class UdpPeerTableTests
{
    [Fact]
    public void Touch_NewThenKnownAddress_IsNewOnlyOnce()
    {
        var table = new UdpPeerTable(10, TimeSpan.FromSeconds(60));
        var address = Address("127.0.0.1", 5000);

        table.Touch(address, 1_000, out var firstIsNew, out _).Allowed = true;
        ref var again = ref table.Touch(Address("127.0.0.1", 5000), 2_000, out var secondIsNew, out var evicted);

        Assert.True(firstIsNew);
        Assert.False(secondIsNew);
        Assert.False(evicted);
        Assert.True(again.Allowed);
        Assert.Equal(2_000, again.LastSeenMs);
        Assert.Equal(1, table.Count);
    }

    [Fact]
    public void Touch_ReusedAddressObjectRewritten_KeysByContentNotInstance()
    {
        var table = new UdpPeerTable(10, TimeSpan.FromSeconds(60));
        var reused = Address("127.0.0.1", 5000);
        table.Touch(reused, 0, out _, out _);

        Address("127.0.0.2", 5000).Buffer.Span.CopyTo(reused.Buffer.Span); // as the loop's receive does
        table.Touch(reused, 0, out var isNew, out _);
        table.Touch(Address("127.0.0.1", 5000), 0, out var firstAgainIsNew, out _);

        Assert.True(isNew);
        Assert.False(firstAgainIsNew);
        Assert.Equal(2, table.Count);
    }

    [Fact]
    public void Touch_PortsAndFamiliesDiffer_AreDifferentPeers()
    {
        var table = new UdpPeerTable(10, TimeSpan.FromSeconds(60));

        table.Touch(Address("127.0.0.1", 5000), 0, out var a, out _);
        table.Touch(Address("127.0.0.1", 5001), 0, out var b, out _);
        table.Touch(Address("::1", 5000), 0, out var c, out _);

        Assert.True(a && b && c);
        Assert.Equal(3, table.Count);
    }

    [Fact]
    public void Touch_TableFull_EvictsLeastRecentlySeen()
    {
        var table = new UdpPeerTable(3, TimeSpan.FromSeconds(60));
        table.Touch(Address("127.0.0.1", 1), 10, out _, out _);
        table.Touch(Address("127.0.0.1", 2), 20, out _, out _);
        table.Touch(Address("127.0.0.1", 3), 30, out _, out _);
        table.Touch(Address("127.0.0.1", 1), 40, out _, out _); // port 2 is now the least recently seen

        table.Touch(Address("127.0.0.1", 4), 50, out var isNew, out var evicted);

        Assert.True(isNew);
        Assert.True(evicted);
        Assert.Equal(3, table.Count);
        table.Touch(Address("127.0.0.1", 2), 60, out var port2IsNew, out _);
        Assert.True(port2IsNew);
        table.Touch(Address("127.0.0.1", 1), 70, out var port1IsNew, out _);
        Assert.False(port1IsNew);
    }

    [Fact]
    public void Touch_ManyDistinctPeers_StaysWithinBound()
    {
        var table = new UdpPeerTable(100, TimeSpan.FromSeconds(60));

        for (var port = 1; port <= 5_000; port++)
        {
            table.Touch(Address("10.0.0.1", port), port, out _, out _);
        }

        Assert.Equal(100, table.Count);
    }

    [Fact]
    public void RemoveExpired_IdlePeers_AreForgottenAndReported()
    {
        var table = new UdpPeerTable(10, TimeSpan.FromSeconds(60));
        table.Touch(Address("127.0.0.1", 1), 0, out _, out _).EndPoint = new IPEndPoint(IPAddress.Loopback, 1);
        table.Touch(Address("127.0.0.1", 2), 30_000, out _, out _).EndPoint = new IPEndPoint(IPAddress.Loopback, 2);
        var expired = new List<(int Port, long IdleMs)>();

        table.RemoveExpired(60_000, (peer, idle) => expired.Add((peer.EndPoint.Port, idle)));

        Assert.Equal([(1, 60_000L)], expired);
        Assert.Equal(1, table.Count);
        table.RemoveExpired(89_999, null);
        Assert.Equal(1, table.Count);
        table.RemoveExpired(90_000, null);
        Assert.Equal(0, table.Count);
    }

    [Fact]
    public void Touch_KnownPeer_DoesNotAllocate()
    {
        var table = new UdpPeerTable(10, TimeSpan.FromSeconds(60));
        var reused = Address("::1", 4444);
        table.Touch(reused, 0, out _, out _);
        table.Touch(reused, 1, out _, out _);

        var before = GC.GetAllocatedBytesForCurrentThread();
        for (var i = 0; i < 10_000; i++)
        {
            table.Touch(reused, i, out _, out _);
        }

        Assert.Equal(0, GC.GetAllocatedBytesForCurrentThread() - before);
    }

    private static SocketAddress Address(string ip, int port) => new IPEndPoint(IPAddress.Parse(ip), port).Serialize();
}
