using SockCat.Services.Chat;

namespace SockCat.UnitTests.Services.Chat.Irc;

/// <summary>
/// Scripted sessions for channels: JOIN (403, 405, 471, 473, 475), PART (442), NAMES (353/366), TOPIC (331/332/333, 482),
/// INVITE (341, 443, 482), KICK (441), MODE (324, 329, 368, 472, 482), LIST (321/322/323).
/// </summary>
public class IrcChannelTests
{
    private const string Alice = ":alice!alice@127.0.0.1";
    private const string Bob = ":bob!bob@127.0.0.1";

    [Fact]
    public void Join_NewChannel_JoinThenNamesWithCreatorAsOperator()
    {
        var alice = new IrcNetwork().Register("alice");
        alice.Send("JOIN #lobby");
        Assert.Equal(
            [$"{Alice} JOIN #lobby", ":sockcat 353 alice = #lobby :@alice", ":sockcat 366 alice #lobby :End of /NAMES list"],
            alice.Take());
    }

    [Fact]
    public void Join_Existing_MembersSeeJoinAndJoinerGetsTopicAndNames()
    {
        var network = new IrcNetwork();
        var alice = network.Register("alice").Send("JOIN #lobby", "TOPIC #lobby :Welcome all");
        alice.Take();
        var bob = network.Register("bob").Send("JOIN #LOBBY");
        var lines = bob.Take();
        Assert.Equal($"{Bob} JOIN #lobby", lines[0]);
        Assert.Equal(":sockcat 332 bob #lobby :Welcome all", lines[1]);
        Assert.Matches(@"^:sockcat 333 bob #lobby alice \d+$", lines[2]);
        Assert.Equal(":sockcat 353 bob = #lobby :@alice bob", lines[3]);
        Assert.Equal(":sockcat 366 bob #lobby :End of /NAMES list", lines[4]);
        Assert.Equal([$"{Bob} JOIN #lobby"], alice.Take());
    }

    [Fact]
    public void Join_SeveralChannelsWithKeys_JoinsEach()
    {
        var network = new IrcNetwork();
        network.Register("alice").Send("JOIN #a,#b", "MODE #a +k sesame");
        var bob = network.Register("bob").Send("JOIN #a,#b sesame");
        var joins = bob.Take().Where(l => l.Contains(" JOIN ")).ToList();
        Assert.Equal([$"{Bob} JOIN #a", $"{Bob} JOIN #b"], joins);
    }

    [Fact]
    public void Join_WrongKey_475()
    {
        var network = new IrcNetwork();
        network.Register("alice").Send("JOIN #a", "MODE #a +k sesame");
        Assert.Equal(":sockcat 475 bob #a :Cannot join channel (+k)", network.Register("bob").Ask("JOIN #a wrong"));
    }

    [Fact]
    public void Join_InviteOnly_473UntilInvited()
    {
        var network = new IrcNetwork();
        var alice = network.Register("alice").Send("JOIN #a", "MODE #a +i");
        var bob = network.Register("bob");
        Assert.Equal(":sockcat 473 bob #a :Cannot join channel (+i)", bob.Ask("JOIN #a"));
        Assert.Equal(":sockcat 341 alice bob #a", alice.Ask("INVITE bob #a"));
        Assert.Equal([$"{Alice} INVITE bob #a"], bob.Take());
        bob.Send("JOIN #a");
        Assert.Equal($"{Bob} JOIN #a", bob.Take()[0]);
    }

    [Fact]
    public void Join_Full_471()
    {
        var network = new IrcNetwork(new ChatOptions { MaxRoomMembers = 1 });
        network.Register("alice").Send("JOIN #a");
        Assert.Equal(":sockcat 471 bob #a :Cannot join channel (+l)", network.Register("bob").Ask("JOIN #a"));
    }

    [Fact]
    public void Join_TooManyChannels_405()
    {
        var alice = new IrcNetwork(new ChatOptions { MaxRoomsPerUser = 1 }).Register("alice").Send("JOIN #a");
        Assert.Equal(":sockcat 405 alice #b :You have joined too many channels", alice.Ask("JOIN #b"));
    }

    [Theory]
    [InlineData("lobby")]
    [InlineData("#")]
    [InlineData("#a\u0007b")]
    public void Join_BadName_403(string name) =>
        Assert.Equal($":sockcat 403 alice {name} :No such channel", new IrcNetwork().Register("alice").Ask("JOIN " + name));

    [Fact]
    public void Join_Zero_PartsEveryChannel()
    {
        var alice = new IrcNetwork().Register("alice").Send("JOIN #a,#b");
        alice.Take();
        alice.Send("JOIN 0");
        Assert.Equal([$"{Alice} PART #a :Left all channels", $"{Alice} PART #b :Left all channels"], alice.Take());
    }

    [Fact]
    public void Part_MembersSeeItWithReason()
    {
        var network = new IrcNetwork();
        var alice = network.Register("alice").Send("JOIN #a");
        var bob = network.Register("bob").Send("JOIN #a");
        alice.Take();
        Assert.Equal($"{Bob} PART #a :bye now", bob.Ask("PART #a :bye now"));
        Assert.Equal([$"{Bob} PART #a :bye now"], alice.Take());
    }

    [Fact]
    public void Part_NotOnChannel_442AndNoSuchChannel_403()
    {
        var network = new IrcNetwork();
        network.Register("alice").Send("JOIN #a");
        var bob = network.Register("bob");
        Assert.Equal(":sockcat 442 bob #a :You're not on that channel", bob.Ask("PART #a"));
        Assert.Equal(":sockcat 403 bob #nowhere :No such channel", bob.Ask("PART #nowhere"));
    }

    [Fact]
    public void Names_Channel_353And366()
    {
        var network = new IrcNetwork();
        network.Register("alice").Send("JOIN #a");
        var bob = network.Register("bob").Send("JOIN #a");
        bob.Take();
        bob.Send("NAMES #a");
        Assert.Equal([":sockcat 353 bob = #a :@alice bob", ":sockcat 366 bob #a :End of /NAMES list"], bob.Take());
    }

    [Fact]
    public void Names_ManyMembers_SplitOver353Lines()
    {
        var network = new IrcNetwork();
        for (var i = 0; i < 30; i++)
        {
            network.Register($"user{i:D2}").Send("JOIN #big");
        }

        var viewer = network.Register("viewer");
        viewer.Send("NAMES #big");
        var lines = viewer.Take();
        Assert.Equal(4, lines.Count);
        Assert.All(lines, l => Assert.True(l.Length <= 510));
        var nicks = lines.Take(3).SelectMany(l => l[(l.IndexOf(" :", StringComparison.Ordinal) + 2)..].Split(' ')).ToList();
        Assert.Equal(30, nicks.Count);
        Assert.Equal("@user00", nicks[0]);
    }

    [Fact]
    public void Topic_QueryUnset_331ThenSetAndQuery_332And333()
    {
        var network = new IrcNetwork();
        var alice = network.Register("alice").Send("JOIN #a");
        var bob = network.Register("bob").Send("JOIN #a");
        alice.Take();
        bob.Take();
        Assert.Equal(":sockcat 331 bob #a :No topic is set", bob.Ask("TOPIC #a"));
        Assert.Equal($"{Alice} TOPIC #a :fresh topic", alice.Ask("TOPIC #a :fresh topic"));
        Assert.Equal([$"{Alice} TOPIC #a :fresh topic"], bob.Take());
        bob.Send("TOPIC #a");
        var lines = bob.Take();
        Assert.Equal(":sockcat 332 bob #a :fresh topic", lines[0]);
        Assert.Matches(@"^:sockcat 333 bob #a alice \d+$", lines[1]);
    }

    [Fact]
    public void Topic_LockedByNonOperator_482()
    {
        var network = new IrcNetwork();
        network.Register("alice").Send("JOIN #a", "MODE #a +t");
        var bob = network.Register("bob").Send("JOIN #a");
        Assert.Equal(":sockcat 482 bob #a :You're not channel operator", bob.Ask("TOPIC #a :mine"));
    }

    [Fact]
    public void Topic_NotOnChannel_442()
    {
        var network = new IrcNetwork();
        network.Register("alice").Send("JOIN #a");
        Assert.Equal(":sockcat 442 bob #a :You're not on that channel", network.Register("bob").Ask("TOPIC #a :x"));
    }

    [Fact]
    public void Invite_Errors_401_403_443_482()
    {
        var network = new IrcNetwork();
        var alice = network.Register("alice").Send("JOIN #a", "MODE #a +i", "INVITE bob #a");
        var bob = network.Register("bob");
        alice.Send("INVITE bob #a");
        bob.Send("JOIN #a");
        network.Register("carol");
        alice.Take();
        Assert.Equal(":sockcat 443 alice bob #a :is already on channel", alice.Ask("INVITE bob #a"));
        Assert.Equal(":sockcat 401 alice nobody :No such nick/channel", alice.Ask("INVITE nobody #a"));
        Assert.Equal(":sockcat 403 alice #zz :No such channel", alice.Ask("INVITE carol #zz"));
        bob.Take();
        Assert.Equal(":sockcat 482 bob #a :You're not channel operator", bob.Ask("INVITE carol #a"));
    }

    [Fact]
    public void Kick_ByOperator_EveryoneSeesItAndTargetIsOut()
    {
        var network = new IrcNetwork();
        var alice = network.Register("alice").Send("JOIN #a");
        var bob = network.Register("bob").Send("JOIN #a");
        alice.Take();
        bob.Take();
        Assert.Equal($"{Alice} KICK #a bob :behave", alice.Ask("KICK #a bob :behave"));
        Assert.Equal([$"{Alice} KICK #a bob :behave"], bob.Take());
        Assert.Equal(":sockcat 441 alice bob #a :They aren't on that channel", alice.Ask("KICK #a bob"));
        Assert.Equal(":sockcat 442 bob #a :You're not on that channel", bob.Ask("PART #a"));
    }

    [Fact]
    public void Kick_ByNonOperator_482()
    {
        var network = new IrcNetwork();
        network.Register("alice").Send("JOIN #a");
        var bob = network.Register("bob").Send("JOIN #a");
        Assert.Equal(":sockcat 482 bob #a :You're not channel operator", bob.Ask("KICK #a alice"));
    }

    [Fact]
    public void Mode_Query_324With329()
    {
        var alice = new IrcNetwork().Register("alice").Send("JOIN #a", "MODE #a +tn", "MODE #a +k sesame");
        alice.Take();
        alice.Send("MODE #a");
        var lines = alice.Take();
        Assert.Equal(":sockcat 324 alice #a +tnk sesame", lines[0]);
        Assert.Matches(@"^:sockcat 329 alice #a \d+$", lines[1]);
    }

    [Fact]
    public void Mode_Changes_MembersSeeEach()
    {
        var network = new IrcNetwork();
        var alice = network.Register("alice").Send("JOIN #a");
        var bob = network.Register("bob").Send("JOIN #a");
        alice.Take();
        bob.Take();
        alice.Send("MODE #a +ik sesame");
        Assert.Equal([$"{Alice} MODE #a +i", $"{Alice} MODE #a +k sesame"], bob.Take());
        alice.Send("MODE #a +o bob");
        Assert.Equal([$"{Alice} MODE #a +o bob"], bob.Take());
        alice.Take();
        bob.Send("MODE #a -k *");
        Assert.Equal([$"{Bob} MODE #a -k *"], alice.Take());
    }

    [Fact]
    public void Mode_NonOperator_482AndUnknownLetter_472()
    {
        var network = new IrcNetwork();
        var alice = network.Register("alice").Send("JOIN #a");
        var bob = network.Register("bob").Send("JOIN #a");
        bob.Take();
        Assert.Equal(":sockcat 482 bob #a :You're not channel operator", bob.Ask("MODE #a +t"));
        alice.Take();
        Assert.Equal(":sockcat 472 alice z :is unknown mode char to me", alice.Ask("MODE #a +z"));
        Assert.Equal(":sockcat 368 alice #a :End of channel ban list", alice.Ask("MODE #a b"));
        Assert.Equal(":sockcat 461 alice MODE :Not enough parameters", alice.Ask("MODE #a +k"));
        Assert.Equal(":sockcat 401 alice nobody :No such nick/channel", alice.Ask("MODE #a +o nobody"));
    }

    [Fact]
    public void Mode_OwnUser_221AndOthers_502()
    {
        var network = new IrcNetwork();
        network.Register("bob");
        var alice = network.Register("alice");
        Assert.Equal(":sockcat 221 alice +", alice.Ask("MODE alice"));
        Assert.Empty(alice.Send("MODE alice +i").Take());
        Assert.Equal(":sockcat 502 alice bob :Can't change mode for other users", alice.Ask("MODE bob +i"));
    }

    [Fact]
    public void List_PublicChannels_321_322_323()
    {
        var network = new IrcNetwork();
        network.Register("alice").Send("JOIN #a,#secret", "TOPIC #a :about a", "MODE #secret +i");
        network.Register("bob").Send("JOIN #a");
        var carol = network.Register("carol");
        carol.Send("LIST");
        Assert.Equal(
            [":sockcat 321 carol Channel :Users  Name", ":sockcat 322 carol #a 2 :about a", ":sockcat 323 carol :End of /LIST"],
            carol.Take());
    }
}
