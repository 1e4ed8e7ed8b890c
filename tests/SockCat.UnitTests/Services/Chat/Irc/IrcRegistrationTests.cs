using SockCat.Services.Chat;

namespace SockCat.UnitTests.Services.Chat.Irc;

/// <summary>Scripted sessions for registration: 001-005, MOTD (375/372/376, 422), CAP, 431-433, 451, 461, 462, 421, 417.</summary>
public class IrcRegistrationTests
{
    [Fact]
    public void Register_NickAndUser_WelcomeBurstThenMotd()
    {
        var network = new IrcNetwork();
        var client = network.Connect().Send("NICK alice", "USER al 0 * :Alice Liddell");
        var lines = client.Take();
        Assert.Equal(":sockcat 001 alice :Welcome to the SockCat IRC Network alice!al@127.0.0.1", lines[0]);
        Assert.StartsWith(":sockcat 002 alice :Your host is sockcat, running version sockcat-", lines[1]);
        Assert.StartsWith(":sockcat 003 alice :This server was created ", lines[2]);
        Assert.Matches(@"^:sockcat 004 alice sockcat sockcat-\S+ i iknot$", lines[3]);
        var isupport = lines[4];
        Assert.StartsWith(":sockcat 005 alice ", isupport);
        foreach (var token in new[] { "CHANTYPES=#", "CASEMAPPING=rfc1459", "NICKLEN=30", "CHANNELLEN=50", "TOPICLEN=390", "PREFIX=(o)@", "CHANMODES=,k,,int" })
        {
            Assert.Contains(" " + token + " ", isupport);
        }

        Assert.EndsWith(" :are supported by this server", isupport);
        Assert.Equal(":sockcat 375 alice :- sockcat Message of the day - ", lines[5]);
        Assert.StartsWith(":sockcat 372 alice :- ", lines[6]);
        Assert.Equal(":sockcat 376 alice :End of /MOTD command.", lines[^1]);
    }

    [Fact]
    public void Register_UserBeforeNick_RegistersOnNick()
    {
        var client = new IrcNetwork().Connect().Send("USER al 0 * :Alice");
        Assert.Empty(client.Take());
        client.Send("NICK alice");
        Assert.StartsWith(":sockcat 001 alice ", client.Take()[0]);
    }

    [Fact]
    public void Register_NoMotd_Sends422()
    {
        var network = new IrcNetwork(irc: new IrcOptions { Motd = [] });
        var lines = network.Connect().Send("NICK alice", "USER al 0 * :Alice").Take();
        Assert.Equal(":sockcat 422 alice :MOTD File is missing", lines[^1]);
        Assert.DoesNotContain(lines, l => l.Contains(" 375 "));
    }

    [Fact]
    public void Register_CapLs_WaitsForCapEnd()
    {
        var client = new IrcNetwork().Connect();
        Assert.Equal(":sockcat CAP * LS :", client.Ask("CAP LS 302"));
        client.Send("NICK alice", "USER al 0 * :Alice");
        Assert.Empty(client.Take());
        Assert.Equal(":sockcat CAP alice NAK :multi-prefix", client.Ask("CAP REQ :multi-prefix"));
        client.Send("CAP END");
        Assert.StartsWith(":sockcat 001 alice ", client.Take()[0]);
    }

    [Fact]
    public void Cap_UnknownSubcommand_410() =>
        Assert.Equal(":sockcat 410 * FOO :Invalid CAP command", new IrcNetwork().Connect().Ask("CAP FOO"));

    [Fact]
    public void Register_NickInUse_433ThenAnotherNickRegisters()
    {
        var network = new IrcNetwork();
        network.Register("alice");
        var client = network.Connect();
        Assert.Equal(":sockcat 433 * ALICE :Nickname is already in use", client.Ask("NICK ALICE"));
        client.Send("USER al 0 * :Alice");
        Assert.Empty(client.Take());
        client.Send("NICK alice_");
        Assert.StartsWith(":sockcat 001 alice_ ", client.Take()[0]);
    }

    [Fact]
    public void Register_NickCasemappedCollision_433()
    {
        var network = new IrcNetwork();
        network.Register("nick[1]");
        Assert.Equal(":sockcat 433 * nick{1} :Nickname is already in use", network.Connect().Ask("NICK nick{1}"));
    }

    [Theory]
    [InlineData("1abc")]
    [InlineData("a\u001b[2J")]
    [InlineData("abcdefghijabcdefghijabcdefghijabc")]
    public void Register_InvalidNick_432(string nick) =>
        Assert.StartsWith($":sockcat 432 * ", new IrcNetwork().Connect().Ask("NICK " + nick));

    [Fact]
    public void Nick_NoParameter_431() => Assert.Equal(":sockcat 431 * :No nickname given", new IrcNetwork().Connect().Ask("NICK"));

    [Fact]
    public void Command_BeforeRegistration_451() =>
        Assert.Equal(":sockcat 451 * :You have not registered", new IrcNetwork().Connect().Ask("JOIN #lobby"));

    [Fact]
    public void User_TooFewParameters_461() =>
        Assert.Equal(":sockcat 461 * USER :Not enough parameters", new IrcNetwork().Connect().Ask("USER al"));

    [Fact]
    public void Pass_BeforeRegistration_Accepted()
    {
        var client = new IrcNetwork().Connect().Send("PASS secret", "NICK alice", "USER al 0 * :Alice");
        Assert.StartsWith(":sockcat 001 alice ", client.Take()[0]);
    }

    [Fact]
    public void User_AfterRegistration_462() =>
        Assert.Equal(":sockcat 462 alice :You may not reregister", new IrcNetwork().Register("alice").Ask("USER x 0 * :x"));

    [Fact]
    public void UnknownCommand_421() =>
        Assert.Equal(":sockcat 421 alice FROB :Unknown command", new IrcNetwork().Register("alice").Ask("frob a b"));

    [Fact]
    public void Register_UserNameWithControls_Cleaned()
    {
        var client = new IrcNetwork().Connect().Send("NICK alice", "USER a\u001b[2Jb!@c 0 * :x");
        Assert.Equal(":sockcat 001 alice :Welcome to the SockCat IRC Network alice!a2Jbc@127.0.0.1", client.Take()[0]);
    }

    [Fact]
    public void LineOver512Bytes_417AndNeverRelayed()
    {
        var network = new IrcNetwork();
        var alice = network.Register("alice").Send("JOIN #lobby");
        var bob = network.Register("bob").Send("JOIN #lobby");
        alice.Take();
        bob.Take();
        var text = new string('x', 510 - "PRIVMSG #lobby :".Length);
        bob.Send("PRIVMSG #lobby :" + text + "y");
        Assert.Equal([":sockcat 417 bob :Input line was too long"], bob.Take());
        Assert.Empty(alice.Take());

        // Exactly 512 with CRLF is a line, and the session goes on.
        bob.Send("PRIVMSG #lobby :" + text);
        Assert.Equal([":bob!bob@127.0.0.1 PRIVMSG #lobby :" + text[..(510 - ":bob!bob@127.0.0.1 PRIVMSG #lobby :".Length)]], alice.Take());
    }

    [Fact]
    public void Lines_SplitAtEveryByte_ParsedTheSame()
    {
        var input = "NICK alice\r\nUSER al 0 * :Alice\nPING :tok\r\n"u8.ToArray();
        for (var split = 0; split <= input.Length; split++)
        {
            var network = new IrcNetwork();
            var client = network.Connect();
            client.Connection.SendSplit(input, split);
            network.Pump();
            var lines = client.Take();
            Assert.StartsWith(":sockcat 001 alice ", lines[0]);
            Assert.Equal(":sockcat PONG sockcat :tok", lines[^1]);
        }
    }

    [Fact]
    public void Ping_AnsweredWithPong()
    {
        Assert.Equal(":sockcat PONG sockcat :123", new IrcNetwork().Connect().Ask("PING 123"));
        Assert.Equal(":sockcat 409 * :No origin specified", new IrcNetwork().Connect().Ask("PING"));
    }

    [Fact]
    public void Quit_ErrorSentOthersSeeQuit()
    {
        var network = new IrcNetwork();
        var alice = network.Register("alice").Send("JOIN #lobby");
        var bob = network.Register("bob").Send("JOIN #lobby");
        alice.Take();
        bob.Take();
        bob.Send("QUIT :gone fishing");
        Assert.Equal(["ERROR :Closing Link: 127.0.0.1 (Quit: gone fishing)"], bob.Take());
        Assert.True(bob.Connection.IsClosed);
        Assert.Equal([":bob!bob@127.0.0.1 QUIT :Quit: gone fishing"], alice.Take());
        Assert.Null(network.Hub.FindUser("bob"));
    }

    [Fact]
    public void InputEnded_WithoutQuit_OthersSeeQuit()
    {
        var network = new IrcNetwork();
        var alice = network.Register("alice").Send("JOIN #lobby");
        var bob = network.Register("bob").Send("JOIN #lobby");
        alice.Take();
        bob.Connection.EndInput();
        network.Pump();
        Assert.Equal([":bob!bob@127.0.0.1 QUIT :Connection closed"], alice.Take());
    }

    [Fact]
    public void Nick_Change_SelfAndRoomSeeIt()
    {
        var network = new IrcNetwork();
        var alice = network.Register("alice").Send("JOIN #lobby");
        var bob = network.Register("bob").Send("JOIN #lobby");
        alice.Take();
        Assert.Equal(":bob!bob@127.0.0.1 NICK robert", bob.Ask("NICK robert"));
        Assert.Equal([":bob!bob@127.0.0.1 NICK robert"], alice.Take());
        Assert.Equal(":sockcat 433 robert alice :Nickname is already in use", bob.Ask("NICK alice"));
        Assert.Equal(":sockcat 432 robert 9x :Erroneous nickname", bob.Ask("NICK 9x"));
    }
}
