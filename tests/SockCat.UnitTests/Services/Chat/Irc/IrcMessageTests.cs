using System.Text;
using SockCat.Services.Chat.Irc;

namespace SockCat.UnitTests.Services.Chat.Irc;

public class IrcMessageTests
{
    [Fact]
    public void Parse_CommandMiddleAndTrailing_SplitsThem()
    {
        var message = IrcMessage.Parse("privmsg #lobby :hello there  world")!;
        Assert.Null(message.Prefix);
        Assert.Equal("PRIVMSG", message.Command);
        Assert.Equal(["#lobby", "hello there  world"], message.Params);
    }

    [Fact]
    public void Parse_TagsAndPrefix_TagsDroppedPrefixKept()
    {
        var message = IrcMessage.Parse("@time=2024-01-01T00:00:00Z;+x=y :alice!a@h NICK bob")!;
        Assert.Equal("alice!a@h", message.Prefix);
        Assert.Equal("NICK", message.Command);
        Assert.Equal(["bob"], message.Params);
    }

    [Fact]
    public void Parse_SeveralSpacesBetweenParams_AreOneSeparator()
    {
        var message = IrcMessage.Parse("USER  guest   0 *   :Real  Name")!;
        Assert.Equal(["guest", "0", "*", "Real  Name"], message.Params);
    }

    [Fact]
    public void Parse_EmptyTrailing_IsAnEmptyParam()
    {
        var message = IrcMessage.Parse("TOPIC #lobby :")!;
        Assert.Equal(["#lobby", ""], message.Params);
    }

    [Fact]
    public void Parse_TrailingWithColonsInside_KeepsThem()
    {
        var message = IrcMessage.Parse("PRIVMSG bob ::-) see http://x:80/")!;
        Assert.Equal(["bob", ":-) see http://x:80/"], message.Params);
    }

    [Fact]
    public void Parse_MoreThanFifteenParams_RestIsTheLastOne()
    {
        var message = IrcMessage.Parse("X 1 2 3 4 5 6 7 8 9 10 11 12 13 14 15 16")!;
        Assert.Equal(15, message.Params.Count);
        Assert.Equal("15 16", message.Params[14]);
    }

    [Theory]
    [InlineData("")]
    [InlineData("   ")]
    [InlineData("@a=b")]
    [InlineData(":prefix")]
    [InlineData(":prefix ")]
    public void Parse_NoCommand_IsNull(string line) => Assert.Null(IrcMessage.Parse(line));

    [Fact]
    public void Parse_InvalidUtf8_BecomesReplacementCharacter()
    {
        var message = IrcMessage.Parse([.. "PRIVMSG #a :caf"u8, 0xE9])!;
        Assert.Equal("caf\uFFFD", message.Params[1]);
    }

    [Fact]
    public void Param_PastTheEnd_IsNull()
    {
        var message = IrcMessage.Parse("JOIN #a")!;
        Assert.Equal("#a", message.Param(0));
        Assert.Null(message.Param(1));
    }

    [Fact]
    public void Parse_Utf8Text_Decoded()
    {
        var message = IrcMessage.Parse(Encoding.UTF8.GetBytes("PRIVMSG #a :héllo 👋"))!;
        Assert.Equal("héllo 👋", message.Params[1]);
    }
}
