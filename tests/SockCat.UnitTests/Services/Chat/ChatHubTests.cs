using System.Buffers;
using SockCat.Server;
using SockCat.Services.Chat;
using SockCat.Testing;

namespace SockCat.UnitTests.Services.Chat;

/// <summary>The hub without a wire protocol: a recording sink per user, in-memory connections for the posts.</summary>
public class ChatHubTests
{
    [Theory]
    [InlineData("alice", "ALICE")]
    [InlineData("a[b]", "A{B}")]
    [InlineData("x\\y", "X|Y")]
    public void Nick_TakenInAnyRfc1459Case(string first, string second)
    {
        var hub = new ChatHub();
        Assert.Equal(ChatResult.Ok, Register(hub, first, out _));
        Assert.Equal(ChatResult.NickInUse, Register(hub, second, out _));
        Assert.NotNull(hub.FindUser(second));
    }

    [Fact]
    public void Room_SameInAnyRfc1459Case()
    {
        var hub = new ChatHub();
        Register(hub, "alice", out var alice);
        Register(hub, "bob", out var bob);
        hub.Join(alice!, "#Tea~Time[1]", null, out var room);
        Assert.Equal(ChatResult.Ok, hub.Join(bob!, "#tea^time{1}", null, out var same));
        Assert.Same(room, same);
        Assert.Equal("#Tea~Time[1]", same!.Name);
    }

    [Theory]
    [InlineData("")]
    [InlineData("1alice")]
    [InlineData("-bob")]
    [InlineData("a b")]
    [InlineData("#room")]
    [InlineData("al:ce")]
    [InlineData("\u00e9mile")]
    [InlineData("abcdefghijklmnopqrstuvwxyz012345")]
    public void Nick_Invalid_IsRefused(string nick)
    {
        var hub = new ChatHub();
        Assert.Equal(ChatResult.NickInvalid, Register(hub, nick, out var user));
        Assert.Null(user);
        Assert.Equal(0, hub.UserCount);
    }

    [Theory]
    [InlineData("lobby")]
    [InlineData("#")]
    [InlineData("#a b")]
    [InlineData("#a,b")]
    [InlineData("#a:b")]
    [InlineData("#a\u0007b")]
    [InlineData("#a\u009bb")]
    [InlineData("#a\u202eb")]
    [InlineData("#a\u200bb")]
    public void Room_InvalidName_IsRefused(string room)
    {
        var hub = new ChatHub();
        Register(hub, "alice", out var alice);
        Assert.Equal(ChatResult.RoomInvalid, hub.Join(alice!, room, null, out _));
        Assert.Equal(0, hub.RoomCount);
    }

    [Fact]
    public void Join_MakesTheRoom_CreatorIsOperator_JoinerSeesItsOwnJoinInline_OthersByPost()
    {
        var hub = new ChatHub();
        var (alice, aliceLog, aliceConnection) = User(hub, "alice");
        var (bob, bobLog, _) = User(hub, "bob");
        Assert.Equal(ChatResult.Ok, hub.Join(alice, "#Lobby", null, out var room));
        Assert.Equal("Join alice #Lobby", Assert.Single(aliceLog));
        Assert.True(room!.IsOperator(alice));

        Assert.Equal(ChatResult.Ok, hub.Join(bob, "#LOBBY", null, out var same));
        Assert.Same(room, same);
        Assert.False(room.IsOperator(bob));
        Assert.Equal(["Join bob #Lobby"], bobLog);
        Assert.Single(aliceLog);
        aliceConnection.RunPosted();
        Assert.Equal("Join bob #Lobby", aliceLog[^1]);
        Assert.Equal(ChatResult.AlreadyInRoom, hub.Join(bob, "#lobby", null, out _));
    }

    [Fact]
    public void RoomMessage_EveryOtherMember_NotTheSender_OnePostPerBurst()
    {
        var hub = new ChatHub();
        var users = Enumerable.Range(0, 4).Select(i => User(hub, $"u{i}")).ToList();
        foreach (var (user, _, _) in users)
        {
            hub.Join(user, "#r", null, out _);
        }

        RunAll(users);
        users.ForEach(u => u.Log.Clear());
        Assert.Equal(ChatResult.Ok, hub.SendToRoom(users[0].User, "#r", ChatMessageKind.Message, "one"));
        Assert.Equal(ChatResult.Ok, hub.SendToRoom(users[1].User, "#r", ChatMessageKind.Action, "two"));
        Assert.Equal(1, users[2].Connection.PostedCount);
        RunAll(users);
        Assert.Equal(["Message#r u1 Action two"], users[0].Log);
        Assert.Equal(["Message#r u0 Message one"], users[1].Log);
        Assert.Equal(["Message#r u0 Message one", "Message#r u1 Action two"], users[3].Log);
        Assert.Equal(2, hub.MessagesSent);
    }

    [Fact]
    public void RoomMessage_RenderedOncePerProtocol_WhateverTheMembers()
    {
        var hub = new ChatHub();
        var users = Enumerable.Range(0, 10).Select(i => User(hub, $"u{i}", render: true)).ToList();
        foreach (var (user, _, _) in users)
        {
            hub.Join(user, "#r", null, out _);
        }

        RunAll(users);
        var before = CountingRenderer.Instance.Calls;
        hub.SendToRoom(users[0].User, "#r", ChatMessageKind.Message, "hello");
        RunAll(users);
        Assert.Equal(1, CountingRenderer.Instance.Calls - before);
        Assert.All(users.Skip(1), u => Assert.Equal("render:hello", u.Log[^1]));
    }

    [Fact]
    public void RoomMessage_SenderAllocatesNothingPerMember()
    {
        var hub = new ChatHub(new ChatOptions { FloodMessagesPerSecond = 0 });
        var small = Enumerable.Range(0, 2).Select(i => User(hub, $"s{i}")).ToList();
        var large = Enumerable.Range(0, 400).Select(i => User(hub, $"l{i}")).ToList();
        small.ForEach(u => hub.Join(u.User, "#small", null, out _));
        large.ForEach(u => hub.Join(u.User, "#large", null, out _));
        RunAll(small);
        RunAll(large);

        long Measure(List<(ChatUser User, List<string> Log, InMemoryConnection Connection)> room, string name)
        {
            // Warm: the per-user queues have their segments, the event pool its events.
            for (var i = 0; i < 3; i++)
            {
                hub.SendToRoom(room[0].User, name, ChatMessageKind.Message, "hi");
                RunAll(room);
            }

            var before = GC.GetAllocatedBytesForCurrentThread();
            hub.SendToRoom(room[0].User, name, ChatMessageKind.Message, "hi");
            return GC.GetAllocatedBytesForCurrentThread() - before;
        }

        var fewMembers = Measure(small, "#small");
        var manyMembers = Measure(large, "#large");
        // 398 more members, not a byte more each (a little slack for a queue segment).
        Assert.True(manyMembers - fewMembers < 398, $"sending to 400 members allocated {manyMembers} bytes, to 2 members {fewMembers}");
    }

    [Fact]
    public void Key_InviteOnly_Invite()
    {
        var hub = new ChatHub();
        var (alice, _, _) = User(hub, "alice");
        var (bob, bobLog, bobConnection) = User(hub, "bob");
        User(hub, "carol");
        hub.Join(alice, "#priv", null, out _);
        Assert.Equal(ChatResult.NotInRoom, hub.SetMode(bob, "#priv", 'k', true, "x"));
        Assert.Equal(ChatResult.Ok, hub.SetMode(alice, "#priv", 'k', true, "sesame"));
        Assert.Equal(ChatResult.BadKey, hub.Join(bob, "#priv", null, out _));
        Assert.Equal(ChatResult.BadKey, hub.Join(bob, "#priv", "wrong", out _));
        Assert.Equal(ChatResult.Ok, hub.SetMode(alice, "#priv", 'k', false, null));
        Assert.Equal(ChatResult.Ok, hub.SetMode(alice, "#priv", 'i', true, null));
        Assert.Equal(ChatResult.InviteOnly, hub.Join(bob, "#priv", null, out _));
        Assert.Equal(ChatResult.Ok, hub.Invite(alice, "bob", "#priv"));
        bobConnection.RunPosted();
        Assert.Equal("Invite alice #priv bob", bobLog[^1]);
        Assert.Equal(ChatResult.Ok, hub.Join(bob, "#priv", null, out _));
        Assert.Equal(ChatResult.TargetInRoom, hub.Invite(alice, "bob", "#priv"));
        Assert.Equal(ChatResult.NotOperator, hub.Invite(bob, "carol", "#priv"));
        Assert.Equal(ChatResult.Ok, hub.Part(bob, "#priv", ""));
        // The invitation was used up by joining.
        Assert.Equal(ChatResult.InviteOnly, hub.Join(bob, "#priv", null, out _));
        Assert.Empty(hub.ListRooms(bob));
        Assert.Single(hub.ListRooms(alice));
    }

    [Fact]
    public void Topic_LockedToOperators_UntilMinusT()
    {
        var hub = new ChatHub();
        var (alice, _, _) = User(hub, "alice");
        var (bob, _, _) = User(hub, "bob");
        hub.Join(alice, "#r", null, out var room);
        hub.Join(bob, "#r", null, out _);
        Assert.Equal(ChatResult.NotOperator, hub.SetTopic(bob, "#r", "mine"));
        Assert.Equal(ChatResult.Ok, hub.SetTopic(alice, "#r", "hers"));
        Assert.Equal(("hers", "alice"), (room!.Topic, room.TopicSetBy));
        Assert.Equal(ChatResult.Ok, hub.SetMode(alice, "#r", 't', false, null));
        Assert.Equal(ChatResult.Ok, hub.SetTopic(bob, "#r", "mine"));
        Assert.Equal(ChatResult.Ok, hub.SetMode(alice, "#r", 'o', true, "bob"));
        Assert.True(room.IsOperator(bob));
        Assert.Equal(ChatResult.UnknownMode, hub.SetMode(alice, "#r", 'z', true, null));
        Assert.Equal(ChatResult.MissingArgument, hub.SetMode(alice, "#r", 'k', true, null));
    }

    [Fact]
    public void Kick_OperatorsOnly_KickedUserToldAndOut()
    {
        var hub = new ChatHub();
        var (alice, _, _) = User(hub, "alice");
        var (bob, bobLog, bobConnection) = User(hub, "bob");
        var (carol, _, _) = User(hub, "carol");
        hub.Join(alice, "#r", null, out var room);
        hub.Join(bob, "#r", null, out _);
        Assert.Equal(ChatResult.NotOperator, hub.Kick(bob, "#r", "alice", ""));
        Assert.Equal(ChatResult.NoSuchNick, hub.Kick(alice, "#r", "nobody", ""));
        Assert.Equal(ChatResult.TargetNotInRoom, hub.Kick(alice, "#r", "carol", ""));
        Assert.Equal(ChatResult.Ok, hub.Kick(alice, "#r", "BOB", "spam"));
        bobConnection.RunPosted();
        Assert.Equal("Kick alice #r bob spam", bobLog[^1]);
        Assert.False(room!.HasMember(bob));
        Assert.Empty(bob.Rooms);
        Assert.Equal(ChatResult.NotInRoom, hub.Part(bob, "#r", ""));
        Assert.Equal(ChatResult.NotInRoom, hub.Kick(carol, "#r", "alice", ""));
    }

    [Fact]
    public void PrivateMessage_OnlyTheRecipient()
    {
        var hub = new ChatHub();
        var (alice, aliceLog, _) = User(hub, "alice");
        var (bob, bobLog, bobConnection) = User(hub, "bob");
        var (_, carolLog, carolConnection) = User(hub, "carol");
        Assert.Equal(ChatResult.NoSuchNick, hub.SendToUser(alice, "dave", ChatMessageKind.Message, "hi", out _));
        Assert.Equal(ChatResult.Ok, hub.SendToUser(alice, "Bob", ChatMessageKind.Message, "psst", out var target));
        Assert.Same(bob, target);
        bobConnection.RunPosted();
        carolConnection.RunPosted();
        Assert.Equal(["Message- alice Message psst"], bobLog);
        Assert.Empty(carolLog);
        Assert.Empty(aliceLog);
    }

    [Fact]
    public void NickChange_EachNeighbourOnce_AndTheUser_OldNickFree()
    {
        var hub = new ChatHub();
        var (alice, aliceLog, _) = User(hub, "alice");
        var (_, bobLog, bobConnection) = Joined(hub, "bob", "#a", "#b");
        var (_, carolLog, carolConnection) = Joined(hub, "carol");
        hub.Join(alice, "#a", null, out _);
        hub.Join(alice, "#b", null, out _);
        bobConnection.RunPosted();
        bobLog.Clear();
        Assert.Equal(ChatResult.Ok, hub.ChangeNick(alice, "Alicia"));
        bobConnection.RunPosted();
        carolConnection.RunPosted();
        Assert.Equal(["Nick alice Alicia"], bobLog);
        Assert.Empty(carolLog);
        Assert.Equal("Nick alice Alicia", aliceLog[^1]);
        Assert.Null(hub.FindUser("alice"));
        Assert.Same(alice, hub.FindUser("ALICIA"));
        Assert.Equal(ChatResult.NickInUse, hub.ChangeNick(alice, "BOB"));
    }

    [Fact]
    public void Quit_NeighboursToldOnce_EmptyRoomsGone_NickFree()
    {
        var hub = new ChatHub();
        var (alice, _, _) = Joined(hub, "alice", "#a", "#b", "#solo");
        var (_, bobLog, bobConnection) = Joined(hub, "bob", "#a", "#b");
        bobConnection.RunPosted();
        bobLog.Clear();
        hub.Quit(alice, "bye now");
        hub.Quit(alice, "again");
        bobConnection.RunPosted();
        Assert.Equal(["Quit alice bye now"], bobLog);
        Assert.Equal(2, hub.RoomCount);
        Assert.Null(hub.FindRoom("#solo"));
        Assert.Null(hub.FindUser("alice"));
        Assert.Equal(ChatResult.NotRegistered, hub.Join(alice, "#a", null, out _));
        Assert.Equal(ChatResult.Ok, Register(hub, "alice", out _));
    }

    // The engine marks a connection closed before it tells the protocol (OnClosed, OnSlowConsumer), and another thread may
    // post to it in between. Such a refused post once marked the user gone without quitting it, so the Quit that followed
    // did nothing: a ghost kept its nick and rooms for good, and a cut slow consumer was never announced.
    [Fact]
    public void PostRefused_ConnectionClosedBeforeItsProtocolIsTold_QuitStillAnnounced_NickFreed()
    {
        var hub = new ChatHub();
        var (alice, aliceLog, aliceConnection) = Joined(hub, "alice", "#a");
        var (bob, _, bobConnection) = Joined(hub, "bob", "#a");
        aliceConnection.RunPosted();
        aliceLog.Clear();
        bobConnection.Terminate("peer gone"); // NullProtocol: closed, and nothing quits bob yet
        Assert.Equal(ChatResult.Ok, hub.SendToUser(alice, "bob", ChatMessageKind.Message, "still there?", out _));
        hub.Quit(bob, "connection closed");
        aliceConnection.RunPosted();
        Assert.Equal(["Quit bob connection closed"], aliceLog);
        Assert.Null(hub.FindUser("bob"));
        Assert.Equal(ChatResult.Ok, Register(hub, "bob", out _));
    }

    [Fact]
    public void CutSlowConsumer_RoomsSeeWhy()
    {
        var hub = new ChatHub();
        var (alice, _, _) = Joined(hub, "alice", "#a");
        var (_, bobLog, bobConnection) = Joined(hub, "bob", "#a");
        hub.CutSlowConsumer(alice, 512 * 1024);
        bobConnection.RunPosted();
        Assert.Equal("Quit alice cut: not reading (send queue over 512 KiB)", bobLog[^1]);
        Assert.Equal(1, hub.SlowConsumersCut);
    }

    [Fact]
    public void Flood_MessagesPastTheBurst_DroppedWithAWarning_ThenDisconnect()
    {
        // A rate so low no token comes back during the test, however slow the machine.
        var hub = new ChatHub(new ChatOptions { FloodMessagesPerSecond = 0.001, FloodBurst = 3 });
        var (alice, _, _) = Joined(hub, "alice", "#a");
        var results = Enumerable.Range(0, 8).Select(_ => hub.SendToRoom(alice, "#a", ChatMessageKind.Message, "x")).ToList();
        Assert.Equal(
            [ChatResult.Ok, ChatResult.Ok, ChatResult.Ok, ChatResult.Flooding, ChatResult.Flooding, ChatResult.Flooding, ChatResult.Flooding, ChatResult.FloodDisconnect],
            results);
        Assert.Equal(3, hub.MessagesSent);
    }

    [Fact]
    public void Text_ControlCharacters_MadeVisible_FormattingKept()
    {
        var hub = new ChatHub();
        var (alice, _, _) = Joined(hub, "alice", "#a");
        var (_, bobLog, bobConnection) = Joined(hub, "bob", "#a");
        bobConnection.RunPosted();
        hub.SendToRoom(alice, "#a", ChatMessageKind.Message, "\u001b[2J\u001b]52;c;aGk=\u0007\u009b31m\u007f\t\u0002bold\u0002 \u202eevil\u2069");
        bobConnection.RunPosted();
        Assert.Equal("Message#a alice Message ^[[2J^[]52;c;aGk=^G^[[31m^? \u0002bold\u0002 <U+202E>evil<U+2069>", bobLog[^1]);
    }

    [Fact]
    public void RemoveIrcFormatting_ColoursAndCodesGone()
    {
        Assert.Equal("red bold italic green  plain", ChatText.RemoveIrcFormatting("\u000304,12red\u000f \u0002bold\u0002 \u001ditalic\u001d \u00037green \u00037 \u0003plain"));
        Assert.Same("plain", ChatText.RemoveIrcFormatting("plain"));
    }

    private static ChatResult Register(ChatHub hub, string nick, out ChatUser? user) =>
        hub.Register(new InMemoryConnection(new NullProtocol()), new RecordingClient([], false), nick, out user);

    private static (ChatUser User, List<string> Log, InMemoryConnection Connection) User(ChatHub hub, string nick, bool render = false)
    {
        var log = new List<string>();
        var connection = new InMemoryConnection(new NullProtocol());
        connection.Connect();
        Assert.Equal(ChatResult.Ok, hub.Register(connection, new RecordingClient(log, render), nick, out var user));
        return (user!, log, connection);
    }

    private static (ChatUser User, List<string> Log, InMemoryConnection Connection) Joined(ChatHub hub, string nick, params string[] rooms)
    {
        var made = User(hub, nick);
        foreach (var room in rooms)
        {
            Assert.Equal(ChatResult.Ok, hub.Join(made.User, room, null, out _));
        }

        return made;
    }

    private static void RunAll(IEnumerable<(ChatUser User, List<string> Log, InMemoryConnection Connection)> users)
    {
        foreach (var (_, _, connection) in users)
        {
            connection.RunPosted();
        }
    }

    private sealed class NullProtocol : IConnectionProtocol
    {
        public int OnReceived(IConnection connection, ReadOnlySpan<byte> data) => data.Length;
    }

    private sealed class RecordingClient(List<string> log, bool render) : IChatClient
    {
        public void OnChatEvent(ChatUser self, ChatEvent e)
        {
            if (render)
            {
                log.Add(System.Text.Encoding.UTF8.GetString(e.Render(CountingRenderer.Instance)));
                return;
            }

            log.Add(e.Kind switch
            {
                ChatEventKind.Message => $"Message{e.Room?.Name ?? "-"} {e.SourceNick} {e.MessageKind} {e.Text}",
                ChatEventKind.Nick => $"Nick {e.SourceNick} {e.NewNick}",
                ChatEventKind.Quit => $"Quit {e.SourceNick} {e.Text}",
                ChatEventKind.Kick => $"Kick {e.SourceNick} {e.Room!.Name} {e.TargetNick} {e.Text}",
                ChatEventKind.Invite => $"Invite {e.SourceNick} {e.Room!.Name} {e.TargetNick}",
                _ => $"{e.Kind} {e.SourceNick} {e.Room?.Name}",
            });
        }
    }

    private sealed class CountingRenderer : ChatRenderer
    {
        public static readonly CountingRenderer Instance = new();

        private int _calls;

        public int Calls => Volatile.Read(ref _calls);

        public override void Render(ChatEvent e, IBufferWriter<byte> output)
        {
            Interlocked.Increment(ref _calls);
            output.Write(System.Text.Encoding.UTF8.GetBytes("render:" + e.Text));
        }
    }
}
