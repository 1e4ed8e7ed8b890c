namespace SockCat.Redis;

/// <summary>The settings of a <see cref="RedisChatBus"/>.</summary>
public sealed class RedisChatBusOptions
{
    /// <summary>
    /// What every key and channel of the chat starts with, so several chats (or other software) can share one Redis.
    /// Defaults to <c>sockcat:chat</c>.
    /// </summary>
    public string Prefix { get; set; } = "sockcat:chat";

    /// <summary>
    /// How long a node's claim on a nick lives without renewal; the node renews its claims (and says it is alive) every
    /// third of this. A node that stops (killed, cut off) frees its nicks, and the other nodes drop its users, within
    /// this. Defaults to 30 seconds.
    /// </summary>
    public TimeSpan ClaimExpiry { get; set; } = TimeSpan.FromSeconds(30);

    /// <summary>This node's name on the bus, unique among the nodes. Defaults to the host name and a random suffix.</summary>
    public string? NodeId { get; set; }

    /// <summary>How long to wait for Redis on start before giving up. Defaults to 5 seconds.</summary>
    public TimeSpan ConnectTimeout { get; set; } = TimeSpan.FromSeconds(5);
}
