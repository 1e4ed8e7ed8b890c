using System.Net;
using System.Net.Sockets;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Abstractions;
using SockCat.Server;

namespace SockCat.Services.Transfer;

/// <summary>
/// <c>sockcat recv</c>: receives uploads from many clients at once and stores each in a directory, atomically (a hidden
/// temporary file, flushed to disk and renamed only when complete and verified), or passes one stream at a time on to
/// an output. Each client is greeted (<see cref="TransferWire.Greeting"/>); one that answers with a header gets its
/// upload verified against the SHA-256 trailer and a verdict line; one that sends bare bytes (<c>nc host port &lt; file</c>,
/// a printer driver) has them stored under a generated name. Use one receiver per server:
/// <code>
/// var receiver = new UploadReceiver(new ReceiveOptions { Directory = "/srv/in" }, loggerFactory);
/// await using var server = new SockCatServer(receiver.CreateProtocol, serverOptions, loggerFactory);
/// </code>
/// Bytes are written off the server's loop threads; while an upload's writes lag more than
/// <see cref="ReceiveOptions.MaxQueuedBytes"/> behind, its connection stops reading.
/// </summary>
public sealed class UploadReceiver
{
    private readonly ILogger _logger;
    private long _saved;
    private long _failed;

    /// <summary>Creates a receiver.</summary>
    /// <exception cref="ArgumentException">Neither a directory nor an output is given, or the directory does not exist.</exception>
    public UploadReceiver(ReceiveOptions options, ILoggerFactory? loggerFactory = null)
    {
        ArgumentNullException.ThrowIfNull(options);
        if (options.Output is null)
        {
            if (options.Directory is null)
            {
                throw new ArgumentException("a directory or an output is needed", nameof(options));
            }

            if (!System.IO.Directory.Exists(options.Directory))
            {
                throw new ArgumentException($"the directory {options.Directory} does not exist", nameof(options));
            }
        }

        ArgumentOutOfRangeException.ThrowIfLessThan(options.MaxQueuedBytes, UploadSink.ChunkSize, nameof(ReceiveOptions.MaxQueuedBytes));
        Options = options;
        Directory = options.Directory is { } d ? Path.GetFullPath(d) : null;
        _logger = (loggerFactory ?? NullLoggerFactory.Instance).CreateLogger("SockCat.Services.Transfer");
    }

    /// <summary>Raised once per upload when it has ended, saved or not, on a thread of the thread pool or the server's.</summary>
    public event Action<UploadOutcome>? Finished;

    /// <summary>The options the receiver was created with.</summary>
    public ReceiveOptions Options { get; }

    /// <summary>Uploads stored (or passed on) whole.</summary>
    public long Saved => Interlocked.Read(ref _saved);

    /// <summary>Uploads that ended without being stored: broken, truncated, refused, or empty.</summary>
    public long Failed => Interlocked.Read(ref _failed);

    internal string? Directory { get; }

    /// <summary>The protocol for a new connection: pass this method as a <see cref="SockCatServer"/>'s protocol factory.</summary>
    public IConnectionProtocol CreateProtocol(IConnection connection) => new ReceiveProtocol(this);

    internal void Report(UploadOutcome outcome, string? displayName, string? asked)
    {
        var peer = Describe(outcome.Peer);
        var verdict = outcome.Verdict;
        var verified = outcome.Verified ? ", verified" : "";
        if (verdict.Succeeded)
        {
            Interlocked.Increment(ref _saved);
            if (Options.Output is not null)
            {
                TransferLog.PassedOn(_logger, verdict.Size, verdict.Sha256!, verified, peer);
            }
            else if (asked is not null && asked != verdict.Name)
            {
                TransferLog.SavedNumbered(_logger, verdict.Name!, verdict.Size, verdict.Sha256!, verified, peer, asked);
            }
            else
            {
                TransferLog.Saved(_logger, verdict.Name!, verdict.Size, verdict.Sha256!, verified, peer);
            }
        }
        else
        {
            Interlocked.Increment(ref _failed);
            if (verdict.Error == TransferError.Empty)
            {
                TransferLog.Empty(_logger, peer);
            }
            else
            {
                TransferLog.Failed(_logger, displayName ?? "(unnamed)", peer, verdict.Message ?? verdict.Error ?? "failed");
            }
        }

        Finished?.Invoke(outcome);
    }

    internal static string Describe(EndPoint? peer) => peer switch
    {
        IPEndPoint ip => ip.ToString(),
        UnixDomainSocketEndPoint => "unix socket",
        null => "unix socket",
        _ => peer.ToString() ?? "?",
    };
}
