using Microsoft.Extensions.Logging;

namespace SockCat.Redis.Internal;

// Ids 4001-4099 are the Redis chat bus's.
internal static partial class RedisChatLog
{
    [LoggerMessage(4001, LogLevel.Information, "Chat node {Node} joined through Redis at {Servers} ({Mode})")]
    public static partial void Connected(ILogger logger, string node, string servers, string mode);

    [LoggerMessage(4002, LogLevel.Warning, "Redis is out of reach ({Reason}): serving this node's users alone until it is back")]
    public static partial void Lost(ILogger logger, string reason);

    [LoggerMessage(4003, LogLevel.Information, "Redis is back: this node rejoined the other chat nodes")]
    public static partial void Restored(ILogger logger);

    [LoggerMessage(4004, LogLevel.Warning, "The nick {Nick} is held by another chat node; its user here is renamed")]
    public static partial void NickRefused(ILogger logger, string nick);

    [LoggerMessage(4005, LogLevel.Information, "Chat node {Node} left ({How})")]
    public static partial void NodeGone(ILogger logger, string node, string how);

    [LoggerMessage(4006, LogLevel.Debug, "A Redis call failed: {Reason}")]
    public static partial void CallFailed(ILogger logger, string reason);

    [LoggerMessage(4007, LogLevel.Warning, "A chat message from Redis could not be read: {Reason}")]
    public static partial void BadMessage(ILogger logger, string reason);
}
