using SockCat.Client;

namespace SockCat.Server.Relay;

/// <summary>How <see cref="IConnection.RelayTo"/> reaches its target, and who hears how the relay went.</summary>
public sealed record RelayOptions
{
    /// <summary>
    /// How the target is connected to: the time limit (<see cref="ConnectOptions.Timeout"/>, 30 seconds by default, for the
    /// name lookup, the connect and a TLS handshake together), a tls:// target's certificate checks, the address family and
    /// a local address. The same options <see cref="SocketClient.ConnectAsync"/> takes.
    /// </summary>
    public ConnectOptions Connect { get; init; } = new();

    /// <summary>Told, on the connection's thread, when the target answers and when the relay has ended; null for nobody.</summary>
    public IRelayObserver? Observer { get; init; }

    /// <summary>
    /// On the epoll engine, a tcp:// or unix:// relay moves the bytes with splice(2), socket to pipe to socket, without
    /// copying them through the process: a pipe per direction, opened on first use, holding at most its capacity (64 KiB)
    /// or the output bound, whichever is less. Other transports, tls:// targets and a server with a
    /// <see cref="ServerOptions.TrafficObserver"/> (which must see the bytes) copy as usual. Defaults to false
    /// (docs/benchmarks.md, relay: the CPU time it saves per GiB).
    /// </summary>
    public bool Splice { get; init; }
}
