using SockCat.Services.Chat;
using SockCat.Testing;

namespace SockCat.UnitTests.Services.Chat;

public class ChatProtocolSelectorTests
{
    [Theory]
    [InlineData("NICK alice\r\n", true)]
    [InlineData("CAP LS 302\r\n", true)]
    [InlineData("USER a 0 * :A\r\n", true)]
    [InlineData("PASS x\r\n", true)]
    [InlineData("/nick alice\n", false)]
    [InlineData("nick alice\n", false)]
    [InlineData("NICKEL\n", false)]
    [InlineData("hello\n", false)]
    [InlineData("NI", null)]
    [InlineData("CA", null)]
    [InlineData("CAP", null)]
    [InlineData("N\n", false)]
    [InlineData("x", false)]
    public void Sniff(string first, bool? irc) =>
        Assert.Equal(irc, ChatProtocolSelector.Sniff(System.Text.Encoding.ASCII.GetBytes(first)));

    [Fact]
    public void IrcFirstLine_SplitInTheSniffedWord_IrcRegisters()
    {
        var rig = new ChatRig(configure: o => o.Protocol = ChatProtocolMode.Auto);
        var connection = new InMemoryConnection(rig.Service.CreateProtocol);
        connection.Connect();
        connection.Send("NI");
        Assert.Equal("", connection.OutputText);
        connection.Send("CK alice\r\nUSER alice 0 * :Alice\r\n");
        Assert.StartsWith(":sockcat 001 alice :Welcome to the SockCat IRC Network alice!alice@", connection.OutputText);
        Assert.False(connection.IsClosed);
    }

    [Fact]
    public void LineFirstLine_WelcomeThenTheLineHandled()
    {
        var rig = new ChatRig(configure: o => o.Protocol = ChatProtocolMode.Auto);
        var connection = new InMemoryConnection(rig.Service.CreateProtocol);
        connection.Connect();
        Assert.Equal("", connection.OutputText);
        connection.Send("/nick alice\n");
        Assert.StartsWith("*** Welcome to sockcat chat", connection.OutputText);
        Assert.EndsWith("*** you are alice. /join ROOM to enter a room (no rooms yet: yours will be the first).\n", connection.OutputText);
    }

    [Fact]
    public void SilentClient_WelcomedAfterTheGreetingDelay_Once()
    {
        var rig = new ChatRig(configure: o => o.Protocol = ChatProtocolMode.Auto);
        var connection = new InMemoryConnection(rig.Service.CreateProtocol);
        connection.Connect();
        rig.Time.Advance(TimeSpan.FromMilliseconds(299));
        connection.RunPosted();
        Assert.Equal("", connection.OutputText);
        rig.Time.Advance(TimeSpan.FromMilliseconds(1));
        connection.RunPosted();
        var welcome = connection.OutputText;
        Assert.StartsWith("*** Welcome to sockcat chat", welcome);
        connection.Send("/nick alice\n");
        Assert.Equal(welcome + "*** you are alice. /join ROOM to enter a room (no rooms yet: yours will be the first).\n", connection.OutputText);
    }

    [Theory]
    [InlineData(ChatProtocolMode.Auto, false)]
    [InlineData(ChatProtocolMode.Line, false)]
    [InlineData(ChatProtocolMode.Auto, true)]
    public void NoNickInTime_ToldAndCut(ChatProtocolMode mode, bool saidSomething)
    {
        var rig = new ChatRig(configure: o =>
        {
            o.Protocol = mode;
            o.RegistrationTimeout = TimeSpan.FromSeconds(30);
        });
        var connection = new InMemoryConnection(rig.Service.CreateProtocol);
        connection.Connect();
        if (saidSomething)
        {
            connection.Send("/help\n");
        }

        rig.Time.Advance(TimeSpan.FromSeconds(29));
        connection.RunPosted();
        Assert.False(connection.IsClosed);
        rig.Time.Advance(TimeSpan.FromSeconds(1));
        connection.RunPosted();
        Assert.EndsWith("error: no nickname chosen in 30 seconds; reconnect and start with /nick NAME\n", connection.OutputText);
        Assert.True(connection.IsClosed);
    }

    [Fact]
    public void NickInTime_NotCut()
    {
        var rig = new ChatRig(configure: o => o.RegistrationTimeout = TimeSpan.FromSeconds(30));
        var connection = new InMemoryConnection(rig.Service.CreateProtocol);
        connection.Connect();
        connection.Send("/nick alice\n");
        rig.Time.Advance(TimeSpan.FromSeconds(31));
        connection.RunPosted();
        Assert.False(connection.IsClosed);
    }
}
