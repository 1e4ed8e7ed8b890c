using SockCat.Client;
using SockCat.Endpoints;

namespace SockCat.Server.Relay;

/// <summary>How a relay went: the bytes carried each way, its duration, and why it ended.</summary>
public sealed record RelayResult
{
    /// <summary>The target asked for.</summary>
    public required EndpointUrl Target { get; init; }

    /// <summary>Bytes the target took from the relay: what the connection's peer sent through it.</summary>
    public long BytesToTarget { get; init; }

    /// <summary>Bytes the relay read from the target, for the connection's peer.</summary>
    public long BytesFromTarget { get; init; }

    /// <summary>From <see cref="IConnection.RelayTo"/> to the end of the relay, the connect included.</summary>
    public TimeSpan Duration { get; init; }

    /// <summary>
    /// Why the target could not be reached (refused, timed out, no such host, a TLS certificate refused); null when it was.
    /// Its <see cref="Exception.Message"/> is one line for a user.
    /// </summary>
    public ConnectException? ConnectError { get; init; }

    /// <summary>
    /// Why the relay ended when something cut it (a reset by either peer, an idle timeout, the server stopping, the target
    /// unreachable); null when both directions ended with the peers' own end of stream.
    /// </summary>
    public string? Reason { get; init; }
}
