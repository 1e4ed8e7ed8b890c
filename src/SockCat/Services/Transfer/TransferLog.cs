using Microsoft.Extensions.Logging;

namespace SockCat.Services.Transfer;

/// <summary>The receiver's log lines. Ids 1800–1849 are transfer's.</summary>
internal static partial class TransferLog
{
    [LoggerMessage(1801, LogLevel.Information, "Saved {Name} ({Size} bytes, sha256 {Sha256}{Checked}) from {Peer}", EventName = "UploadSaved")]
    public static partial void Saved(ILogger logger, string name, long size, string sha256, string @checked, string peer);

    [LoggerMessage(1802, LogLevel.Information, "Saved {Name} ({Size} bytes, sha256 {Sha256}{Checked}) from {Peer}: {Requested} already existed", EventName = "UploadSavedNumbered")]
    public static partial void SavedNumbered(ILogger logger, string name, long size, string sha256, string @checked, string peer, string requested);

    [LoggerMessage(1803, LogLevel.Warning, "Upload {Name} from {Peer} failed: {Reason}; nothing saved", EventName = "UploadFailed")]
    public static partial void Failed(ILogger logger, string name, string peer, string reason);

    [LoggerMessage(1804, LogLevel.Information, "{Peer} sent nothing; nothing saved", EventName = "UploadEmpty")]
    public static partial void Empty(ILogger logger, string peer);

    [LoggerMessage(1805, LogLevel.Information, "Passed on {Size} bytes (sha256 {Sha256}{Checked}) from {Peer}", EventName = "UploadPassedOn")]
    public static partial void PassedOn(ILogger logger, long size, string sha256, string @checked, string peer);
}
