using System.Text;
using SockCat.Services.Chat.Irc;

namespace SockCat.UnitTests.Services.Chat.Irc;

public class IrcLineTests
{
    [Fact]
    public void Numeric_ServerSourceAndTrailing_Formatted()
    {
        var line = new IrcLine(new byte[IrcLine.MaxBytes]);
        line.Source("sockcat");
        line.Word(IrcNumerics.Welcome);
        line.Word("alice");
        line.Trailing("Welcome to SockCat, alice");
        Assert.Equal(":sockcat 001 alice :Welcome to SockCat, alice\r\n", Encoding.UTF8.GetString(line.Finish()));
    }

    [Fact]
    public void UserSource_NickUserHost_Formatted()
    {
        var line = new IrcLine(new byte[IrcLine.MaxBytes]);
        line.Source("alice", "al", "127.0.0.1");
        line.Word("PRIVMSG");
        line.Word("#lobby");
        line.Trailing("hi");
        Assert.Equal(":alice!al@127.0.0.1 PRIVMSG #lobby :hi\r\n", Encoding.UTF8.GetString(line.Finish()));
    }

    [Theory]
    [InlineData("#lobby", "JOIN #lobby")]
    [InlineData("two words", "JOIN :two words")]
    [InlineData("", "JOIN :")]
    [InlineData(":colon", "JOIN ::colon")]
    public void Last_OneWordBareOtherwiseTrailing(string text, string expected)
    {
        var line = new IrcLine(new byte[IrcLine.MaxBytes]);
        line.Word("JOIN");
        line.Last(text);
        Assert.Equal(expected + "\r\n", Encoding.UTF8.GetString(line.Finish()));
    }

    [Fact]
    public void Text_WithCrLfNul_CannotEndTheLineEarly()
    {
        var line = new IrcLine(new byte[IrcLine.MaxBytes]);
        line.Word("PRIVMSG");
        line.Word("#a");
        line.Trailing("x\r:evil 001 you :owned\n\0y");
        Assert.Equal("PRIVMSG #a :x :evil 001 you :owned  y\r\n", Encoding.UTF8.GetString(line.Finish()));
    }

    [Fact]
    public void LongText_CutTo512BytesWithCrLf()
    {
        var line = new IrcLine(new byte[IrcLine.MaxBytes]);
        line.Word("PRIVMSG");
        line.Word("#a");
        line.Trailing(new string('x', 600));
        var bytes = line.Finish().ToArray();
        Assert.Equal(512, bytes.Length);
        Assert.EndsWith("xx\r\n", Encoding.ASCII.GetString(bytes));
    }

    [Fact]
    public void LongMultibyteText_CutOnACharacterBoundary()
    {
        var line = new IrcLine(new byte[IrcLine.MaxBytes]);
        line.Word("PRIVMSG");
        line.Word("#a");
        line.Trailing(string.Concat(Enumerable.Repeat("é€👋", 100)));
        var bytes = line.Finish().ToArray();
        Assert.True(bytes.Length <= 512);
        var text = new UTF8Encoding(false, throwOnInvalidBytes: true).GetString(bytes);
        Assert.EndsWith("\r\n", text);
        Assert.DoesNotContain('\uFFFD', text);
    }

    [Fact]
    public void Constructor_BufferUnder512_Throws() =>
        Assert.Throws<ArgumentOutOfRangeException>(() => new IrcLine(new byte[100]));
}
