using Microsoft.Extensions.Logging;

namespace SockCat.Services.Exec;

internal static partial class ExecLog
{
    [LoggerMessage(EventId = 1700, Level = LogLevel.Information, Message = "Started {Program} (pid {Pid}) for {Peer}")]
    public static partial void Started(ILogger logger, string program, int pid, string peer);

    [LoggerMessage(EventId = 1701, Level = LogLevel.Information, Message = "Program (pid {Pid}) for {Peer} {Outcome}")]
    public static partial void Exited(ILogger logger, int pid, string peer, string outcome);

    [LoggerMessage(EventId = 1702, Level = LogLevel.Information, Message = "[{Peer}] stderr: {Line}")]
    public static partial void Stderr(ILogger logger, string peer, string line);

    [LoggerMessage(EventId = 1703, Level = LogLevel.Warning, Message = "Refused {Peer}: {Reason}")]
    public static partial void Refused(ILogger logger, string peer, string reason);

    [LoggerMessage(EventId = 1704, Level = LogLevel.Error, Message = "Could not start {Program} for {Peer}: {Error}")]
    public static partial void StartFailed(ILogger logger, string program, string peer, string error);

    [LoggerMessage(EventId = 1705, Level = LogLevel.Information, Message = "Restarting {Program} in {Seconds} s")]
    public static partial void Restarting(ILogger logger, string program, double seconds);
}
