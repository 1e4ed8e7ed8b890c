using System.Net;
using System.Net.Sockets;
using System.Runtime.InteropServices;

namespace SockCat.Server.Udp;

/// <summary>
/// The peers a datagram loop has heard from recently, keyed by their raw socket address so that looking up a known
/// peer does not allocate. Bounded in count and in idle time. Used by the loop thread only.
/// </summary>
internal sealed class UdpPeerTable
{
    private readonly Dictionary<SocketAddress, Peer> _peers = [];
    private readonly int _maxPeers;
    private readonly long _idleTimeoutMs;

    public UdpPeerTable(int maxPeers, TimeSpan idleTimeout)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(maxPeers, 1);
        ArgumentOutOfRangeException.ThrowIfLessThanOrEqual(idleTimeout, TimeSpan.Zero);
        _maxPeers = maxPeers;
        _idleTimeoutMs = (long)idleTimeout.TotalMilliseconds;
    }

    public int Count => _peers.Count;

    /// <summary>
    /// Marks <paramref name="address"/> as seen at <paramref name="nowMs"/>. Returns a reference to its entry, with
    /// <paramref name="isNew"/> set when it was not known (the caller fills in the new entry). A known peer costs one
    /// hash lookup and no allocation; a new one copies the address, and evicts the least recently seen peer when full.
    /// </summary>
    public ref Peer Touch(SocketAddress address, long nowMs, out bool isNew, out bool evicted)
    {
        evicted = false;
        ref var peer = ref CollectionsMarshal.GetValueRefOrNullRef(_peers, address);
        if (!System.Runtime.CompilerServices.Unsafe.IsNullRef(ref peer))
        {
            isNew = false;
            peer.LastSeenMs = nowMs;
            return ref peer;
        }

        if (_peers.Count >= _maxPeers)
        {
            EvictOldest();
            evicted = true;
        }

        var key = new SocketAddress(address.Family, address.Size);
        address.Buffer.Span[..address.Size].CopyTo(key.Buffer.Span);
        isNew = true;
        ref var added = ref CollectionsMarshal.GetValueRefOrAddDefault(_peers, key, out _);
        added.LastSeenMs = nowMs;
        return ref added;
    }

    /// <summary>Forgets peers idle past the timeout, calling <paramref name="onExpired"/> for each with its idle time.</summary>
    public void RemoveExpired(long nowMs, Action<Peer, long>? onExpired)
    {
        foreach (var (key, peer) in _peers)
        {
            var idle = nowMs - peer.LastSeenMs;
            if (idle >= _idleTimeoutMs)
            {
                // Removing while enumerating is allowed for Dictionary since .NET Core 3.0.
                _peers.Remove(key);
                onExpired?.Invoke(peer, idle);
            }
        }
    }

    private void EvictOldest()
    {
        SocketAddress? oldest = null;
        var oldestSeen = long.MaxValue;
        foreach (var (key, peer) in _peers)
        {
            if (peer.LastSeenMs < oldestSeen)
            {
                oldestSeen = peer.LastSeenMs;
                oldest = key;
            }
        }

        if (oldest is not null)
        {
            _peers.Remove(oldest);
        }
    }

    /// <summary>What is known of one peer.</summary>
    internal struct Peer
    {
        /// <summary><see cref="Environment.TickCount64"/> when the peer last sent a datagram.</summary>
        public long LastSeenMs;

        /// <summary>The peer's address as logs show it (an IPv4-mapped address as plain IPv4).</summary>
        public IPEndPoint EndPoint;

        /// <summary>Whether <c>--allow</c> / <c>--deny</c> let the peer in, decided once when it was first seen.</summary>
        public bool Allowed;
    }
}
