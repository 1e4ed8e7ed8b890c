using System.Net;

namespace SockCat.Server.Relay;

/// <summary>
/// Hears how a relay started by <see cref="IConnection.RelayTo"/> goes. Calls never overlap and must not throw;
/// <see cref="OnRelayConnected"/> runs on the connection's own thread, as a protocol's calls do, and
/// <see cref="OnRelayEnded"/> there too, or (on the stream path, when the last bytes to a tls:// target were still on their
/// way as the connection closed) on a thread-pool thread once they are sent.
/// </summary>
public interface IRelayObserver
{
    /// <summary>The target accepted the connection; bytes now flow both ways.</summary>
    /// <param name="connection">The connection that asked for the relay.</param>
    /// <param name="target">The address the target was reached at (an IP address and port, or a unix socket).</param>
    void OnRelayConnected(IConnection connection, EndPoint? target)
    {
    }

    /// <summary>
    /// The relay is over: both connections are closed (or the target could never be reached, and the connection was closed
    /// with the reason). Called once, after the connection's protocol heard <see cref="IConnectionProtocol.OnClosed"/>.
    /// </summary>
    /// <param name="connection">The connection that asked for the relay, closed.</param>
    /// <param name="result">What was carried each way, for how long, and why it ended.</param>
    void OnRelayEnded(IConnection connection, RelayResult result);
}
