using SockCat.Services.Chat;

namespace SockCat.UnitTests.Services.Chat.Irc;

/// <summary>
/// Scripted sessions for messages and users: PRIVMSG and NOTICE (401, 403, 404, 411, 412), AWAY (301, 305, 306),
/// WHO (352/315), WHOIS (311/319/312/318), ISON, USERHOST, and hostile text.
/// </summary>
public class IrcMessagingTests
{
    private const string Alice = ":alice!alice@127.0.0.1";
    private const string Bob = ":bob!bob@127.0.0.1";

    private static (IrcNetwork, IrcTestClient, IrcTestClient) TwoInLobby()
    {
        var network = new IrcNetwork();
        var alice = network.Register("alice").Send("JOIN #lobby");
        var bob = network.Register("bob").Send("JOIN #lobby");
        alice.Take();
        bob.Take();
        return (network, alice, bob);
    }

    [Fact]
    public void Privmsg_Channel_OthersGetItWithPrefixNotTheSender()
    {
        var (network, alice, bob) = TwoInLobby();
        var carol = network.Register("carol").Send("JOIN #lobby");
        alice.Take();
        bob.Take();
        carol.Take();
        alice.Send("PRIVMSG #lobby :hello, room");
        Assert.Empty(alice.Take());
        Assert.Equal([$"{Alice} PRIVMSG #lobby :hello, room"], bob.Take());
        Assert.Equal([$"{Alice} PRIVMSG #lobby :hello, room"], carol.Take());
    }

    [Fact]
    public void Privmsg_User_OnlyThatUserGetsIt()
    {
        var (network, alice, bob) = TwoInLobby();
        var carol = network.Register("carol");
        alice.Send("PRIVMSG BOB :just you");
        Assert.Equal([$"{Alice} PRIVMSG bob :just you"], bob.Take());
        Assert.Empty(carol.Take());
    }

    [Fact]
    public void Notice_ChannelAndUser_RelayedAsNotice()
    {
        var (_, alice, bob) = TwoInLobby();
        alice.Send("NOTICE #lobby :heads up", "NOTICE bob :psst");
        Assert.Equal([$"{Alice} NOTICE #lobby :heads up", $"{Alice} NOTICE bob :psst"], bob.Take());
    }

    [Fact]
    public void Action_Ctcp_RelayedAsAction()
    {
        var (_, alice, bob) = TwoInLobby();
        alice.Send("PRIVMSG #lobby :\u0001ACTION waves\u0001");
        Assert.Equal([$"{Alice} PRIVMSG #lobby :\u0001ACTION waves\u0001"], bob.Take());
    }

    [Fact]
    public void OtherCtcp_NotRelayed()
    {
        var (_, alice, bob) = TwoInLobby();
        alice.Send("PRIVMSG bob :\u0001VERSION\u0001", "PRIVMSG bob :\u0001DCC SEND x 1 2 3\u0001");
        Assert.Empty(bob.Take());
    }

    [Fact]
    public void Privmsg_Errors_401_403_404_411_412()
    {
        var (network, alice, _) = TwoInLobby();
        var carol = network.Register("carol");
        Assert.Equal(":sockcat 401 carol nobody :No such nick/channel", carol.Ask("PRIVMSG nobody :hi"));
        Assert.Equal(":sockcat 403 carol #nowhere :No such channel", carol.Ask("PRIVMSG #nowhere :hi"));
        Assert.Equal(":sockcat 404 carol #lobby :Cannot send to channel", carol.Ask("PRIVMSG #lobby :let me in"));
        Assert.Equal(":sockcat 411 carol :No recipient given (PRIVMSG)", carol.Ask("PRIVMSG"));
        Assert.Equal(":sockcat 412 carol :No text to send", carol.Ask("PRIVMSG #lobby"));
        Assert.Equal(":sockcat 412 carol :No text to send", carol.Ask("PRIVMSG #lobby :"));
        Assert.Empty(alice.Take());
    }

    [Fact]
    public void Notice_Errors_NeverAnswered()
    {
        var carol = new IrcNetwork().Register("carol");
        carol.Send("NOTICE nobody :hi", "NOTICE #nowhere :hi", "NOTICE", "NOTICE bob");
        Assert.Empty(carol.Take());
    }

    [Fact]
    public void Privmsg_NoExternalMessagesOff_NonMemberCanSend()
    {
        var (network, alice, bob) = TwoInLobby();
        alice.Send("MODE #lobby -n");
        bob.Take();
        network.Register("carol").Send("PRIVMSG #lobby :from outside");
        Assert.Equal([":carol!carol@127.0.0.1 PRIVMSG #lobby :from outside"], bob.Take());
    }

    [Fact]
    public void Away_SetThenPrivmsgGets301ThenBack305()
    {
        var (_, alice, bob) = TwoInLobby();
        Assert.Equal(":sockcat 306 bob :You have been marked as being away", bob.Ask("AWAY :at lunch"));
        Assert.Equal(":sockcat 301 alice bob :at lunch", alice.Ask("PRIVMSG bob :you there?"));
        Assert.Equal(":sockcat 305 bob :You are no longer marked as being away", bob.Ask("AWAY"));
    }

    [Fact]
    public void Who_Channel_352PerMemberThen315()
    {
        var (_, alice, bob) = TwoInLobby();
        bob.Send("AWAY :out");
        bob.Take();
        alice.Send("WHO #lobby");
        Assert.Equal(
        [
            ":sockcat 352 alice #lobby alice 127.0.0.1 sockcat alice H@ :0 alice Real",
            ":sockcat 352 alice #lobby bob 127.0.0.1 sockcat bob G :0 bob Real",
            ":sockcat 315 alice #lobby :End of /WHO list",
        ], alice.Take());
    }

    [Fact]
    public void Who_Nick_352Then315()
    {
        var (_, alice, _) = TwoInLobby();
        alice.Send("WHO bob");
        Assert.Equal(
            [":sockcat 352 alice * bob 127.0.0.1 sockcat bob H :0 bob Real", ":sockcat 315 alice bob :End of /WHO list"],
            alice.Take());
    }

    [Fact]
    public void Whois_User_311_319_312_318()
    {
        var (_, alice, bob) = TwoInLobby();
        bob.Send("AWAY :busy");
        alice.Send("WHOIS bob");
        Assert.Equal(
        [
            ":sockcat 311 alice bob bob 127.0.0.1 * :bob Real",
            ":sockcat 319 alice bob :#lobby",
            ":sockcat 312 alice bob sockcat :SockCat",
            ":sockcat 301 alice bob :busy",
            ":sockcat 318 alice bob :End of /WHOIS list",
        ], alice.Take());
    }

    [Fact]
    public void Whois_Unknown_401Then318()
    {
        var alice = new IrcNetwork().Register("alice");
        alice.Send("WHOIS ghost");
        Assert.Equal([":sockcat 401 alice ghost :No such nick/channel", ":sockcat 318 alice ghost :End of /WHOIS list"], alice.Take());
    }

    [Fact]
    public void IsOnAndUserHost_ListOnlineUsers()
    {
        var (_, alice, _) = TwoInLobby();
        Assert.Equal(":sockcat 303 alice :bob", alice.Ask("ISON bob ghost"));
        Assert.Equal(":sockcat 302 alice :bob=+bob@127.0.0.1", alice.Ask("USERHOST bob ghost"));
    }

    [Fact]
    public void HostileText_EscapesAndCrNeverReachOthersRaw()
    {
        var (network, alice, bob) = TwoInLobby();
        alice.Connection.Send("PRIVMSG #lobby :\u001b[2Jclear\u001b]52;c;aGk=\u0007 x\rFAKE\r\n"u8.ToArray());
        network.Pump();
        var line = Assert.Single(bob.Take());
        Assert.DoesNotContain('\u001b', line);
        Assert.DoesNotContain('\r', line);
        Assert.DoesNotContain('\u0007', line);
        Assert.StartsWith($"{Alice} PRIVMSG #lobby :", line);
    }

    [Fact]
    public void Flooding_WarnedThenDisconnected()
    {
        var network = new IrcNetwork(new ChatOptions { FloodBurst = 2, FloodMessagesPerSecond = 0.001 });
        var alice = network.Register("alice").Send("JOIN #lobby");
        var bob = network.Register("bob").Send("JOIN #lobby");
        alice.Take();
        bob.Take();
        bob.Send("PRIVMSG #lobby :1", "PRIVMSG #lobby :2", "PRIVMSG #lobby :3");
        Assert.StartsWith(":sockcat NOTICE bob :Flooding: message to #lobby dropped", Assert.Single(bob.Take()));
        bob.Send("PRIVMSG #lobby :4", "PRIVMSG #lobby :5", "PRIVMSG #lobby :6");
        Assert.Contains("ERROR :Closing Link: 127.0.0.1 (Excess Flood)", bob.Take());
        Assert.True(bob.Connection.IsClosed);
        Assert.Equal([$"{Bob} PRIVMSG #lobby :1", $"{Bob} PRIVMSG #lobby :2", $"{Bob} QUIT :Excess Flood"], alice.Take());
    }
}
