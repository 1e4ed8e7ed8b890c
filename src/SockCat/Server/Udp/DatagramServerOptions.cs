using SockCat.Server.Access;

namespace SockCat.Server.Udp;

/// <summary>Settings of a <see cref="DatagramServer"/>.</summary>
public sealed record DatagramServerOptions
{
    /// <summary>
    /// How many peers are remembered (for the log and for access decisions). Defaults to 10,000, about 1 MB; when
    /// full, the least recently seen peer is forgotten, so a flood of spoofed sources cannot grow memory.
    /// </summary>
    public int MaxPeers { get; init; } = 10_000;

    /// <summary>How long a peer that sends nothing is remembered. Defaults to 60 s.</summary>
    public TimeSpan PeerIdleTimeout { get; init; } = TimeSpan.FromSeconds(60);

    /// <summary><c>--allow</c> / <c>--deny</c>: datagrams from a refused peer are dropped unanswered. Defaults to allowing all.</summary>
    public AccessList Access { get; init; } = AccessList.AllowAll;
}
