using SockCat.Services.Chat;
using SockCat.Testing;

namespace SockCat.IntegrationTests.Services.Chat;

/// <summary>
/// Real IRC clients (Debian's ii, irssi, weechat-headless and HexChat, installed by test.sh) against the chat service, with a line-protocol user (as
/// nc or telnet would be) in the same room: register, join, talk in the channel and privately, quit.
/// </summary>
public sealed class IrcRealClientTests
{
    private static async Task<LoopbackServer> StartAsync() =>
        await LoopbackServer.StartAsync(TestTransport.EpollTcp, new ChatService(new ChatHub()).CreateProtocol);

    private static async Task<ChatLineClient> LineUserAsync(LoopbackServer server, string nick)
    {
        var line = await ChatLineClient.LineAsync(server);
        await line.SendAsync($"/nick {nick}", "/join lobby");
        await line.ExpectAsync("#lobby and are its operator; it is your current room");
        return line;
    }

    [Fact]
    public async Task Ii_RegistersJoinsAndTalks_WithALineUser_InTheRoomAndPrivately()
    {
        await using var server = await StartAsync();
        await using var line = await LineUserAsync(server, "liner");
        await using var ii = IiPeer.Start(server.Endpoint.Port, "iiuser");

        await ii.WaitForAsync(null, "Welcome to the SockCat IRC Network iiuser!iiuser@127.0.0.1");
        await ii.SayAsync(null, "/j #lobby");
        await ii.WaitForAsync("#lobby", "iiuser(iiuser@127.0.0.1) has joined #lobby");
        Assert.Equal("[#lobby] *** iiuser joined", await line.ExpectAsync("iiuser joined"));

        await ii.SayAsync("#lobby", "hello from ii");
        Assert.Equal("[#lobby] <iiuser> hello from ii", await line.ExpectAsync("hello from ii"));
        await line.SendAsync("hi ii, from nc");
        await ii.WaitForAsync("#lobby", "<liner> hi ii, from nc");

        await line.SendAsync("/msg iiuser just between us");
        await ii.WaitForAsync("liner", "<liner> just between us");
        await ii.SayAsync(null, "/j liner and back");
        Assert.Equal("[pm] <iiuser> and back", await line.ExpectAsync("and back"));

        await ii.SayAsync(null, "/QUIT :off now");
        Assert.Equal("*** iiuser quit (Quit: off now)", await line.ExpectAsync("iiuser quit"));
    }

    [Fact]
    public async Task Irssi_NegotiatesCapRegistersAutojoinsAndTalks_WithALineUser()
    {
        await using var server = await StartAsync();
        await using var line = await LineUserAsync(server, "liner");
        await using var irssi = IrssiPeer.Start(server.Endpoint.Port, "irssiuser", "#lobby");

        // irssi opens with CAP LS 302 and registers after the server's CAP answer; then autojoins the channel.
        await irssi.WaitForAsync(":sockcat CAP * LS :");
        await irssi.WaitForAsync(":sockcat 001 irssiuser :Welcome to the SockCat IRC Network irssiuser!irssi@127.0.0.1");
        await irssi.WaitForAsync(":sockcat 366 irssiuser #lobby :End of /NAMES list");
        Assert.Equal("[#lobby] *** irssiuser joined", await line.ExpectAsync("irssiuser joined"));
        Assert.Contains("liner", await irssi.WaitForAsync(":sockcat 353 irssiuser = #lobby :"));

        await irssi.CommandAsync("/msg #lobby hello from irssi");
        Assert.Equal("[#lobby] <irssiuser> hello from irssi", await line.ExpectAsync("hello from irssi"));
        await irssi.CommandAsync("/action #lobby waves");
        Assert.Equal("[#lobby] * irssiuser waves", await line.ExpectAsync("waves"));
        await line.SendAsync("hi irssi");
        await irssi.WaitForAsync(":liner!liner@127.0.0.1 PRIVMSG #lobby :hi irssi");

        await line.SendAsync("/msg irssiuser psst");
        await irssi.WaitForAsync(":liner!liner@127.0.0.1 PRIVMSG irssiuser :psst");
        await irssi.CommandAsync("/msg liner psst back");
        Assert.Equal("[pm] <irssiuser> psst back", await line.ExpectAsync("psst back"));

        await irssi.CommandAsync("/quit leaving now");
        Assert.Equal("*** irssiuser quit (Quit: leaving now)", await line.ExpectAsync("irssiuser quit"));
    }

    [Fact]
    public async Task Weechat_RegistersAutojoinsAndTalks_WithALineUser_TopicForOperatorsOnly()
    {
        await using var server = await StartAsync();
        await using var line = await LineUserAsync(server, "liner");
        await using var weechat = WeechatPeer.Start(server.Endpoint.Port, "weeuser", "#lobby");

        await weechat.WaitForAsync(null, "Welcome to the SockCat IRC Network weeuser!wee@127.0.0.1");
        await weechat.WaitForAsync("#lobby", "weeuser (wee@127.0.0.1) has joined #lobby");
        Assert.Equal("[#lobby] *** weeuser joined", await line.ExpectAsync("weeuser joined"));
        await weechat.WaitForAsync("#lobby", "Channel #lobby: 2 nicks (1 op, 1 normal)");

        await weechat.CommandAsync("/msg #lobby hello from weechat");
        Assert.Equal("[#lobby] <weeuser> hello from weechat", await line.ExpectAsync("hello from weechat"));
        await line.SendAsync("hi weechat");
        await weechat.WaitForAsync("#lobby", "@liner\thi weechat");

        await line.SendAsync("/msg weeuser psst");
        await weechat.WaitForAsync("liner", "liner\tpsst");
        await weechat.CommandAsync("/msg liner psst back");
        Assert.Equal("[pm] <weeuser> psst back", await line.ExpectAsync("psst back"));

        // Rooms lock their topic to operators (+t) as IRC servers do: weeuser is told 482, liner's topic reaches it.
        await weechat.CommandAsync("/topic #lobby tea at five");
        await weechat.WaitForAsync("#lobby", "You're not channel operator");
        await line.SendAsync("/topic tea at five");
        await weechat.WaitForAsync("#lobby", "liner has changed topic for #lobby to \"tea at five\"");

        await weechat.CommandAsync("/quit leaving now");
        Assert.Equal("*** weeuser quit (Quit: leaving now)", await line.ExpectAsync("weeuser quit"));
    }

    [Fact]
    [System.Runtime.Versioning.UnsupportedOSPlatform("windows")]
    public async Task Hexchat_UnderXvfb_RegistersAutojoinsAndTalks_WithALineUser_InTheRoomAndPrivately()
    {
        await using var server = await StartAsync();
        await using var line = await LineUserAsync(server, "liner");
        await using var display = await XvfbDisplay.StartAsync();
        await using var hexchat = HexchatPeer.Start(display, server.Endpoint.Port, "hexuser", "#lobby");

        // HexChat opens with CAP LS, registers, then joins the channel its network list names.
        await hexchat.WaitForRawAsync(":sockcat CAP * LS :");
        await hexchat.WaitForRawAsync(":sockcat 001 hexuser :Welcome to the SockCat IRC Network hexuser!hex@127.0.0.1");
        await hexchat.WaitForShownAsync("You Join\t#lobby\thexuser\t#lobby\thex@127.0.0.1");
        Assert.Equal("[#lobby] *** hexuser joined", await line.ExpectAsync("hexuser joined"));
        await line.SendAsync("/who lobby");
        var who = await line.ExpectAsync("*** in #lobby (2): ");
        Assert.Equal(["@liner", "hexuser"], who["*** in #lobby (2): ".Length..].Split(' ').Order(StringComparer.Ordinal));
        Assert.Contains("@liner", await hexchat.WaitForRawAsync(":sockcat 353 hexuser = #lobby :"));

        // Typed into the #lobby tab: a message and an action.
        await hexchat.CommandAsync("#lobby", "say hello from hexchat");
        Assert.Equal("[#lobby] <hexuser> hello from hexchat", await line.ExpectAsync("hello from hexchat"));
        await hexchat.CommandAsync("#lobby", "me waves");
        Assert.Equal("[#lobby] * hexuser waves", await line.ExpectAsync("waves"));
        await line.SendAsync("hi hexchat");
        await hexchat.WaitForShownAsync("Channel Message\t#lobby\tliner\thi hexchat");

        // A private message opens a dialog tab for liner; the answer is typed there.
        await line.SendAsync("/msg hexuser psst");
        await hexchat.WaitForShownAsync("Private Message to Dialog\tliner\tliner\tpsst");
        await hexchat.CommandAsync("liner", "say psst back");
        Assert.Equal("[pm] <hexuser> psst back", await line.ExpectAsync("psst back"));

        await hexchat.CommandAsync("*", "quit leaving now");
        Assert.Equal("*** hexuser quit (Quit: leaving now)", await line.ExpectAsync("hexuser quit"));
    }
}
