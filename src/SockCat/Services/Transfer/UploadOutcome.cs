using System.Net;

namespace SockCat.Services.Transfer;

/// <summary>How one upload ended, as <see cref="UploadReceiver.Finished"/> reports it.</summary>
public sealed class UploadOutcome
{
    /// <summary>Creates an outcome.</summary>
    /// <param name="peer">Who sent it.</param>
    /// <param name="requestedName">The name the sender asked for; null for bare bytes or a header without a name.</param>
    /// <param name="verdict">Saved (under which name) or refused (why).</param>
    /// <param name="verified">True when a SHA-256 trailer came with it and matched.</param>
    public UploadOutcome(EndPoint? peer, string? requestedName, TransferVerdict verdict, bool verified)
    {
        Peer = peer;
        RequestedName = requestedName;
        Verdict = verdict;
        Verified = verified;
    }

    /// <summary>Who sent it.</summary>
    public EndPoint? Peer { get; }

    /// <summary>The name the sender asked for; null for bare bytes or a header without a name.</summary>
    public string? RequestedName { get; }

    /// <summary>Saved (under which name) or refused (why); the same verdict the sender was sent, when it could be.</summary>
    public TransferVerdict Verdict { get; }

    /// <summary>True when a SHA-256 trailer came with it and matched; false for bare bytes, which carry none.</summary>
    public bool Verified { get; }
}
