using System.Text;
using SockCat.Services.Chat;

namespace SockCat.UnitTests.Services.Chat;

public class LineChatProtocolTests
{
    [Fact]
    public void Welcome_SaysHowToStart()
    {
        var rig = new ChatRig();
        var peer = new ChatPeer(new SockCat.Testing.InMemoryConnection(rig.Service.CreateProtocol));
        peer.Connection.Connect();
        Assert.Equal(
            "*** Welcome to sockcat chat: 0 users online, 0 rooms.\n" +
            "*** Choose a nickname with /nick NAME, then /join ROOM and type to talk. /help lists the commands.\n",
            peer.Read());
    }

    [Fact]
    public void Transcript_RoomMessage_Action_PrivateMessage()
    {
        var rig = new ChatRig();
        var alice = rig.User("alice", "lobby");
        var bob = rig.User("bob", "lobby");
        var carol = rig.User("carol");
        alice.Say("hello");
        alice.Say("/me waves");
        alice.Say("/msg bob hi");
        alice.Say("//slash");
        rig.RunPosts();
        Assert.Equal("[#lobby] <alice> hello\n[#lobby] * alice waves\n[pm] <alice> hi\n[#lobby] <alice> /slash\n", bob.Read());
        Assert.Equal("", alice.Read());
        Assert.Equal("", carol.Read());
    }

    [Fact]
    public void JoinLobby_IsIrcsHashLobby()
    {
        var rig = new ChatRig();
        var alice = rig.Connect();
        alice.Say("/nick alice");
        alice.Say("/join lobby");
        Assert.Contains("*** you made #lobby and are its operator; it is your current room\n*** in #lobby (1): @alice\n", alice.Read());
        Assert.NotNull(rig.Hub.FindRoom("#lobby"));
        var bob = rig.User("bob");
        bob.Say("/join #LOBBY");
        rig.RunPosts();
        Assert.Equal("*** you joined #lobby; it is your current room\n*** in #lobby (2): @alice bob\n", bob.Read());
        Assert.Equal("[#lobby] *** bob joined\n", alice.Read());
    }

    [Theory]
    [InlineData("hello", "error: choose a nickname first: /nick NAME\n")]
    [InlineData("/join lobby", "error: choose a nickname first: /nick NAME\n")]
    [InlineData("/frob", "error: unknown command /frob; /help lists the commands\n")]
    [InlineData("/nick 9lives", "error: '9lives' cannot be a nickname; use 1 to 30 letters, digits or -_[]{}\\|^` (not starting with a digit or -)\n")]
    [InlineData("/nick", "error: /nick needs one name: /nick alice\n")]
    [InlineData("/nick a\u001b[2J", "error: 'a^[[2J' cannot be a nickname; use 1 to 30 letters, digits or -_[]{}\\|^` (not starting with a digit or -)\n")]
    [InlineData("/\u001b]52;c;aGk=\u0007", "error: unknown command /^[]52;c;agk=^G; /help lists the commands\n")]
    public void Unregistered_Mistakes_OneErrorLineEach(string line, string expected)
    {
        var rig = new ChatRig();
        var peer = rig.Connect();
        peer.Say(line);
        Assert.Equal(expected, peer.Read());
    }

    [Theory]
    [InlineData("/nick ALICE", "error: the nickname ALICE is taken; choose another with /nick NAME\n")]
    [InlineData("/msg dave hi", "error: no one is called dave; /who * lists who is online\n")]
    [InlineData("/join secret", "error: #secret needs its key; /join secret KEY\n")]
    [InlineData("/join secret nope", "error: #secret needs its key; /join secret KEY\n")]
    [InlineData("/join club", "error: #club is invite-only; ask one of its operators for an /invite\n")]
    [InlineData("hello", "error: you are in no room; /join ROOM first (/rooms lists them)\n")]
    [InlineData("/join a,b", "error: 'a,b' cannot be a room name; use up to 49 characters without spaces, commas or colons\n")]
    [InlineData("/part", "error: you are in no room; /part ROOM names one\n")]
    [InlineData("/part secret", "error: you are not in #secret; /join secret first\n")]
    [InlineData("/who nowhere", "error: there is no room #nowhere; /rooms lists them, /join nowhere makes it\n")]
    [InlineData("/mode secret -k", "error: you are not in #secret; /join secret first\n")]
    [InlineData("/kick alice", "error: you are in no room; /join ROOM first\n")]
    [InlineData("/msg bob", "error: /msg needs a nick and a message: /msg bob hello\n")]
    [InlineData("/bogus", "error: unknown command /bogus; /help lists the commands\n")]
    public void Registered_Mistakes_OneErrorLineEach(string line, string expected)
    {
        var rig = new ChatRig();
        var alice = rig.User("alice", "secret", "club");
        alice.Say("/mode secret +k sesame");
        alice.Say("/mode club +i");
        var bob = rig.User("bob");
        bob.Say(line);
        Assert.Equal(expected, bob.Read());
    }

    [Fact]
    public void KeyedRoom_JoinWithTheKey()
    {
        var rig = new ChatRig();
        var alice = rig.User("alice", "secret");
        alice.Say("/mode +k sesame");
        Assert.Equal("[#secret] *** alice set the key to sesame (join with /join secret sesame)\n", alice.Read());
        var bob = rig.User("bob");
        bob.Say("/join secret sesame");
        rig.RunPosts();
        Assert.StartsWith("*** you joined #secret", bob.Read());
        Assert.Equal("[#secret] *** bob joined\n", alice.Read());
    }

    [Fact]
    public void PrivateRoomForTwo_InviteThenJoin_OthersCannotSeeOrEnter()
    {
        var rig = new ChatRig();
        var alice = rig.User("alice", "us");
        var bob = rig.User("bob");
        var eve = rig.User("eve");
        alice.Say("/mode +i");
        alice.Say("/invite bob");
        rig.RunPosts();
        Assert.Equal("*** alice invites you to #us; type /join us to go in\n", bob.Read());
        bob.Say("/join us");
        eve.Say("/join us");
        eve.Say("/rooms");
        alice.Say("just us");
        rig.RunPosts();
        Assert.Equal("error: #us is invite-only; ask one of its operators for an /invite\n*** no rooms yet; /join ROOM makes one\n", eve.Read());
        Assert.EndsWith("[#us] <alice> just us\n", bob.Read());
    }

    [Fact]
    public void Topic_Kick_Part_Nick_Quit_AsTheOthersSeeThem()
    {
        var rig = new ChatRig();
        var alice = rig.User("alice", "lobby");
        var bob = rig.User("bob", "lobby");
        var carol = rig.User("carol", "lobby");
        alice.Say("/topic Tea at five");
        alice.Say("/kick bob too loud");
        carol.Say("/nick caroline");
        carol.Say("/part lobby gone home");
        rig.RunPosts();
        Assert.Equal(
            "[#lobby] *** alice set the topic: Tea at five\n[#lobby] *** alice kicked bob (too loud)\n" +
            "*** carol is now known as caroline\n[#lobby] *** caroline left (gone home)\n",
            alice.Read());
        Assert.Equal(
            "[#lobby] *** alice set the topic: Tea at five\n*** alice put you out of #lobby (too loud)\n*** you are in no room now; /join ROOM to enter one\n",
            bob.Read());
        Assert.Equal(
            "[#lobby] *** alice set the topic: Tea at five\n[#lobby] *** alice kicked bob (too loud)\n*** you are now known as caroline\n" +
            "*** you left #lobby\n*** you are in no room now; /join ROOM to enter one\n",
            carol.Read());
        bob.Say("/join lobby");
        bob.Say("/quit off to bed");
        rig.RunPosts();
        Assert.Equal("*** you joined #lobby; it is your current room\n*** topic: Tea at five (set by alice)\n*** in #lobby (2): @alice bob\n*** bye\n", bob.Read());
        Assert.True(bob.Connection.IsClosed);
        Assert.Equal("[#lobby] *** bob joined\n*** bob quit (off to bed)\n", alice.Read());
    }

    [Fact]
    public void HostileText_NeverReachesAnotherTerminalRaw()
    {
        var rig = new ChatRig();
        rig.User("alice", "lobby");
        var alice = rig.Connect();
        alice.Say("/nick mallory");
        alice.Say("/join lobby");
        var bob = rig.User("bob", "lobby");
        // ESC[2J (clear screen), OSC 52 (write the clipboard), CSI as a C1 byte, BEL, DEL, invalid UTF-8, IRC colours.
        alice.Connection.Send([.. "\u001b[2J \u001b]52;c;aGk=\u0007 "u8, 0xC2, 0x9B, .. "31m \u007f "u8, 0xFF, 0xFE, .. " \u000304red\u000f\n"u8]);
        alice.Say("/topic \u001b[31mred");
        rig.RunPosts();
        var seen = bob.Read();
        Assert.Equal("[#lobby] <mallory> ^[[2J ^[]52;c;aGk=^G ^[[31m ^? \uFFFD\uFFFD red\n", seen.Split('\n')[0] + "\n");
        var bytes = Encoding.UTF8.GetBytes(seen);
        Assert.DoesNotContain((byte)0x1B, bytes);
        Assert.DoesNotContain(seen, c => c < ' ' && c != '\n' || c is >= '\u007f' and <= '\u009f');
    }

    [Fact]
    public void TooLongLine_RefusedInOneLine_NeverRelayed_NeverBufferedWhole()
    {
        var rig = new ChatRig(configure: o => o.MaxLineLength = 64);
        var alice = rig.User("alice", "lobby");
        var bob = rig.User("bob", "lobby");
        alice.Say("before");
        // 64 KiB with no newline, in pieces: what the protocol keeps stays under the line bound.
        var endless = Encoding.ASCII.GetBytes(new string('x', 64 * 1024));
        for (var i = 0; i < endless.Length; i += 1000)
        {
            alice.Connection.Send(endless.AsSpan(i, Math.Min(1000, endless.Length - i)));
            Assert.True(alice.Connection.Unconsumed.Length <= 65);
        }

        alice.Connection.Send("\nafter\n"u8);
        rig.RunPosts();
        Assert.Equal("error: line longer than 64 bytes not sent; send shorter lines\n", alice.Read());
        Assert.Equal("[#lobby] <alice> before\n[#lobby] <alice> after\n", bob.Read());
    }

    [Fact]
    public void Lines_SplitAnywhere_SameResult()
    {
        var input = Encoding.UTF8.GetBytes("one\r\ntw\u00e9\n\nthree\n");
        for (var i = 0; i <= input.Length; i++)
        {
            var rig = new ChatRig();
            var alice = rig.User("alice", "r");
            var bob = rig.User("bob", "r");
            alice.Connection.SendSplit(input, i);
            rig.RunPosts();
            Assert.Equal("[#r] <alice> one\n[#r] <alice> tw\u00e9\n[#r] <alice> three\n", bob.Read());
        }
    }

    [Fact]
    public void Flood_WarnedOnce_ThenDisconnected_RoomTold()
    {
        // One token goes on /join; two messages pass.
        var rig = new ChatRig(new ChatOptions { FloodMessagesPerSecond = 0.001, FloodBurst = 3 });
        var alice = rig.User("alice", "r");
        var bob = rig.User("bob", "r");
        for (var i = 0; i < 10; i++)
        {
            alice.Say($"m{i}");
        }

        rig.RunPosts();
        Assert.Equal(
            "error: you are sending too fast (over 0 messages a second); slow down or you will be disconnected\n*** disconnected: excess flood\n",
            alice.Read());
        Assert.True(alice.Connection.IsClosed);
        Assert.Equal("[#r] <alice> m0\n[#r] <alice> m1\n*** alice quit (Excess Flood)\n", bob.Read());
        Assert.Equal(1, rig.Hub.FloodDisconnects);
    }

    [Fact]
    public void InputEnded_UserLeaves_AfterItsLastLine()
    {
        var rig = new ChatRig();
        var alice = rig.User("alice", "r");
        var bob = rig.User("bob", "r");
        alice.Connection.Send("last words");
        alice.Connection.EndInput();
        rig.RunPosts();
        Assert.Equal("[#r] <alice> last words\n*** alice quit (connection closed)\n", bob.Read());
        Assert.True(alice.Connection.SendShut);
        Assert.Equal(1, rig.Hub.UserCount);
    }

    [Fact]
    public void QuitWithoutReason_NoEmptyParentheses()
    {
        var rig = new ChatRig();
        var alice = rig.User("alice", "r");
        var bob = rig.User("bob", "r");
        bob.Say("/quit");
        rig.RunPosts();
        Assert.Equal("*** bob quit\n", alice.Read());
    }

    [Fact]
    public void ClosedConnection_QuitsTheUser()
    {
        var rig = new ChatRig();
        var alice = rig.User("alice", "r");
        var bob = rig.User("bob", "r");
        alice.Connection.Terminate("idle timeout");
        rig.RunPosts();
        Assert.Equal("*** alice quit (idle timeout)\n", bob.Read());
        Assert.Null(rig.Hub.FindUser("alice"));
    }

    [Fact]
    public void Rooms_Who_Help()
    {
        var rig = new ChatRig();
        var alice = rig.User("alice", "lobby", "dev");
        rig.User("bob", "lobby");
        alice.Say("/topic hacking");
        alice.Read();
        alice.Say("/rooms");
        Assert.Equal("*** 2 rooms:\n***   #dev (1) - hacking\n***   #lobby (2)\n", alice.Read());
        alice.Say("/who lobby");
        Assert.Equal("*** in #lobby (2): @alice bob\n", alice.Read());
        alice.Say("/who *");
        Assert.Equal("*** online (2): alice bob\n", alice.Read());
        alice.Say("/help");
        var help = alice.Read();
        foreach (var command in new[] { "/nick", "/join", "/part", "/msg", "/invite", "/rooms", "/who", "/topic", "/me", "/kick", "/mode", "/help", "/quit" })
        {
            Assert.Contains(command, help);
        }
    }

    [Fact]
    public void Join_AgainSwitchesTheCurrentRoom()
    {
        var rig = new ChatRig();
        var alice = rig.User("alice", "a", "b");
        var bob = rig.User("bob", "a", "b");
        alice.Say("to b");
        alice.Say("/join a");
        alice.Say("to a");
        rig.RunPosts();
        Assert.Equal("[#b] <alice> to b\n[#a] <alice> to a\n", bob.Read());
        Assert.Equal("*** now talking in #a\n", alice.Read());
    }
}
