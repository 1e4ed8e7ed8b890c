using SockCat.Services.Chat.Irc;

namespace SockCat.UnitTests.Services.Chat.Irc;

public class IrcNamesTests
{
    [Theory]
    [InlineData("Nick[1]", "nick{1}")]
    [InlineData("A\\B^", "a|b~")]
    [InlineData("ALICE", "alice")]
    public void Fold_Rfc1459_BracketsAreLetters(string upper, string lower)
    {
        Assert.Equal(lower, IrcNames.Fold(upper));
        Assert.True(IrcNames.Equal(upper, lower));
    }

    [Fact]
    public void Equal_DifferentNames_False() => Assert.False(IrcNames.Equal("alice", "alicf"));

    [Theory]
    [InlineData("alice", true)]
    [InlineData("[away]", true)]
    [InlineData("a-1_`^{|}", true)]
    [InlineData("1alice", false)]
    [InlineData("-alice", false)]
    [InlineData("al ice", false)]
    [InlineData("al!ce", false)]
    [InlineData("al@ce", false)]
    [InlineData("#alice", false)]
    [InlineData("al\u001bce", false)]
    [InlineData("élise", false)]
    [InlineData("", false)]
    [InlineData("abcdefghijabcdefghijabcdefghij", true)]
    [InlineData("abcdefghijabcdefghijabcdefghijk", false)]
    public void IsValidNick_Rfc2812Rules(string nick, bool valid) => Assert.Equal(valid, IrcNames.IsValidNick(nick, 30));

    [Theory]
    [InlineData("#lobby", true)]
    [InlineData("#café", true)]
    [InlineData("#", false)]
    [InlineData("lobby", false)]
    [InlineData("&local", false)]
    [InlineData("#a b", false)]
    [InlineData("#a,b", false)]
    [InlineData("#a:b", false)]
    [InlineData("#a\u0007", false)]
    [InlineData("#a\u001b[2J", false)]
    [InlineData("#a\u009b", false)]
    public void IsValidChannel_NoSeparatorsOrControls(string channel, bool valid) =>
        Assert.Equal(valid, IrcNames.IsValidChannel(channel, 50));

    [Fact]
    public void IsValidChannel_OverLength_False() => Assert.False(IrcNames.IsValidChannel("#" + new string('a', 50), 50));
}
