using SockCat.Services.Chat;

namespace SockCat.UnitTests.Services.Chat.Irc;

/// <summary>The registration timeout and the PING/PONG dead-peer timeout, on a clock the test moves.</summary>
public class IrcKeepAliveTests
{
    private static IrcNetwork Network() =>
        new(irc: new IrcOptions { PingInterval = TimeSpan.FromSeconds(90) }, registrationTimeout: TimeSpan.FromSeconds(30));

    [Fact]
    public void Unregistered_PastTimeout_ErrorAndClosed()
    {
        var network = Network();
        var client = network.Connect().Send("NICK slow");
        network.Advance(TimeSpan.FromSeconds(29));
        Assert.False(client.Connection.IsClosed);
        network.Advance(TimeSpan.FromSeconds(2));
        Assert.Equal(["ERROR :Closing Link: 127.0.0.1 (Registration timeout)"], client.Take());
        Assert.True(client.Connection.IsClosed);
    }

    [Fact]
    public void Registered_NotClosedByRegistrationTimeout()
    {
        var network = Network();
        var client = network.Register("alice");
        network.Advance(TimeSpan.FromSeconds(60));
        Assert.False(client.Connection.IsClosed);
        Assert.Empty(client.Take());
    }

    [Fact]
    public void Silent_PingedThenClosedWhenItStaysSilent()
    {
        var network = Network();
        var alice = network.Register("alice").Send("JOIN #lobby");
        var bob = network.Register("bob").Send("JOIN #lobby");
        alice.Take();
        bob.Take();
        network.Advance(TimeSpan.FromSeconds(91));
        Assert.Equal(["PING :sockcat"], bob.Take());
        Assert.Equal(["PING :sockcat"], alice.Take());
        alice.Send("PONG :sockcat");
        network.Advance(TimeSpan.FromSeconds(91));
        Assert.True(bob.Connection.IsClosed);
        Assert.StartsWith("Ping timeout: ", bob.Connection.ClosedReason);
        Assert.False(alice.Connection.IsClosed);
        Assert.Contains(alice.Take(), l => l.StartsWith(":bob!bob@127.0.0.1 QUIT :Ping timeout: 18", StringComparison.Ordinal));
    }

    [Fact]
    public void Talking_NeverPinged()
    {
        var network = Network();
        var alice = network.Register("alice");
        for (var i = 0; i < 4; i++)
        {
            network.Advance(TimeSpan.FromSeconds(60));
            alice.Send("PING :x");
        }

        Assert.All(alice.Take(), l => Assert.Equal(":sockcat PONG sockcat :x", l));
    }
}
