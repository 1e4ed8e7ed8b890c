using System.Text;
using SockCat.Web;

namespace SockCat.UnitTests.Web;

public class ServerSentEventsFormatTests
{
    [Theory]
    [InlineData("one", null, null, "data: one\n\n")]
    [InlineData("a\nb", "tick", "7", "event: tick\nid: 7\ndata: a\ndata: b\n\n")]
    [InlineData("a\r\nb\rc", null, null, "data: a\ndata: b\ndata: c\n\n")]
    [InlineData("", null, "", "id: \ndata: \n\n")]
    [InlineData("trailing\n", null, null, "data: trailing\ndata: \n\n")]
    [InlineData("next\u2028line", null, null, "data: next\u2028line\n\n")]
    public void Format_Event_IsTheEventStreamWireForm(string data, string? eventName, string? id, string expected)
    {
        Assert.Equal(expected, Encoding.UTF8.GetString(ServerSentEventsWriter.Format(data, eventName, id)));
    }

    [Theory]
    [InlineData("a\nb", null)]
    [InlineData(null, "1\r2")]
    [InlineData(null, "1\02")]
    public void Format_LineBreakInEventOrId_IsRefused(string? eventName, string? id)
    {
        Assert.Throws<ArgumentException>(() => ServerSentEventsWriter.Format("x", eventName, id));
    }
}
