using Microsoft.Extensions.Logging;

namespace SockCat.Server;

/// <summary>
/// The engine's log lines. Events 1–3 are the seed's lines, word for word (Information, fixed text); scripts and
/// tests read them, so their text and ids never change. Ids 1–49 are the engine's.
/// </summary>
internal static partial class ServerLog
{
    [LoggerMessage(1, LogLevel.Information, "Connection accepted from {Peer}", EventName = "ConnectionAccepted")]
    public static partial void ConnectionAccepted(ILogger logger, string peer);

    [LoggerMessage(2, LogLevel.Information, "Now there are total {Count} clients.", EventName = "ClientCount")]
    public static partial void ClientCount(ILogger logger, int count);

    [LoggerMessage(3, LogLevel.Information, "A client disconnected. Now there are total {Count} clients.", EventName = "ClientDisconnected")]
    public static partial void ClientDisconnected(ILogger logger, int count);

    [LoggerMessage(4, LogLevel.Information, "Closing connection {ConnectionId} from {Peer}: {Reason}", EventName = "ConnectionClosing")]
    public static partial void ConnectionClosing(ILogger logger, long connectionId, string peer, string reason);

    [LoggerMessage(5, LogLevel.Warning, "Refused connection from {Peer}: server full ({MaxConnections} connections)", EventName = "ServerFull")]
    public static partial void ServerFull(ILogger logger, string peer, int maxConnections);

    [LoggerMessage(6, LogLevel.Information, "Denied connection from {Peer}", EventName = "ConnectionDenied")]
    public static partial void ConnectionDenied(ILogger logger, string peer);

    [LoggerMessage(7, LogLevel.Warning, "Out of file descriptors ({Error}); not accepting for {PauseMs} ms", EventName = "OutOfFileDescriptors")]
    public static partial void OutOfFileDescriptors(ILogger logger, string error, int pauseMs);

    [LoggerMessage(8, LogLevel.Error, "Connection {ConnectionId} from {Peer}: the protocol threw; closing it", EventName = "ProtocolFailed")]
    public static partial void ProtocolFailed(ILogger logger, long connectionId, string peer, Exception exception);

    [LoggerMessage(9, LogLevel.Debug, "Connection {ConnectionId} from {Peer} ended: {Reason}", EventName = "ConnectionError")]
    public static partial void ConnectionError(ILogger logger, long connectionId, string peer, string reason);

    [LoggerMessage(10, LogLevel.Critical, "Epoll loop {Loop} failed; its connections are lost", EventName = "LoopFailed")]
    public static partial void LoopFailed(ILogger logger, int loop, Exception exception);

    [LoggerMessage(11, LogLevel.Warning, "Accepting on {Listener} failed: {Error}", EventName = "AcceptFailed")]
    public static partial void AcceptFailed(ILogger logger, string listener, string error);

    [LoggerMessage(12, LogLevel.Warning, "Closing connection {ConnectionId} from {Peer}: slow consumer, over {LimitBytes} bytes queued for a peer that is not reading", EventName = "SlowConsumer")]
    public static partial void SlowConsumer(ILogger logger, long connectionId, string peer, int limitBytes);

    [LoggerMessage(13, LogLevel.Error, "Connection {ConnectionId} from {Peer}: a posted callback's release threw", EventName = "PostReleaseFailed")]
    public static partial void PostReleaseFailed(ILogger logger, long connectionId, string peer, Exception exception);

    [LoggerMessage(21, LogLevel.Error, "Connection {ConnectionId} from {Peer}: the traffic observer threw; the connection goes on", EventName = "TrafficObserverFailed")]
    public static partial void TrafficObserverFailed(ILogger logger, long connectionId, string peer, Exception exception);

    [LoggerMessage(22, LogLevel.Debug, "Epoll loop {Loop}: SCHED_BATCH refused (errno {Errno}); it runs under the default policy", EventName = "BatchSchedulingRefused")]
    public static partial void BatchSchedulingRefused(ILogger logger, int loop, int errno);
}
