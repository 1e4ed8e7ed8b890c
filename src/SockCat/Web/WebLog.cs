using Microsoft.Extensions.Logging;

namespace SockCat.Web;

/// <summary>The web side's log lines. Event IDs 900–919 belong to this class.</summary>
internal static partial class WebLog
{
    [LoggerMessage(EventId = 900, Level = LogLevel.Information, Message = "Refused WebSocket from {Peer}: origin {Origin} is not allowed here")]
    public static partial void OriginRefused(ILogger logger, string peer, string origin);

    [LoggerMessage(EventId = 901, Level = LogLevel.Error, Message = "WebSocket from {Peer}: the message handler threw; closing it")]
    public static partial void HandlerFailed(ILogger logger, string peer, Exception exception);

    [LoggerMessage(EventId = 902, Level = LogLevel.Information, Message = "Closing WebSocket from {Peer}: {Reason}")]
    public static partial void WebSocketClosing(ILogger logger, string peer, string reason);
}
