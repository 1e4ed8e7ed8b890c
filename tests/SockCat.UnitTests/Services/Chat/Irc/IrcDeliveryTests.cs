using SockCat.Services.Chat;

namespace SockCat.UnitTests.Services.Chat.Irc;

/// <summary>Fan-out to IRC members: the line is made once per message, and delivering it allocates nothing per member.</summary>
public class IrcDeliveryTests
{
    [Fact]
    public void RoomMessage_DeliveredToIrcMembers_NoAllocationPerMember()
    {
        long Measure(int members)
        {
            var network = new IrcNetwork(new ChatOptions { FloodMessagesPerSecond = 0 });
            var clients = Enumerable.Range(0, members).Select(i => network.Register($"u{i}").Send("JOIN #room")).ToList();
            foreach (var client in clients)
            {
                // Output stays queued in the connection's own buffer: the harness's copy to the peer is not the server's cost.
                client.Connection.PeerReadsAll = false;
            }

            var sender = network.Register("sender").Send("JOIN #room");
            network.Pump();

            // Warm: queues have their segments, the event pool its events, each member's buffer its room.
            for (var i = 0; i < 3; i++)
            {
                sender.Send("PRIVMSG #room :hello everyone");
            }

            sender.Connection.Send("PRIVMSG #room :hello everyone\r\n"u8);
            var before = GC.GetAllocatedBytesForCurrentThread();
            network.Pump();
            return GC.GetAllocatedBytesForCurrentThread() - before;
        }

        var few = Measure(2);
        var many = Measure(300);
        Assert.True(many - few < 298, $"delivering to 300 IRC members allocated {many} bytes, to 2 members {few}");
    }
}
