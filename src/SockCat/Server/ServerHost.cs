using System.Text;
using Microsoft.Extensions.Logging;
using SockCat.Endpoints;

namespace SockCat.Server;

/// <summary>
/// What a transport needs from the server it serves, handed down to it once: the options and the limits resolved from
/// them, admission (the accept filter, then the connection limit), the registry, and the log lines every transport
/// writes alike. Transports hold this and their <see cref="ListenerBinding"/>s, never <see cref="SockCatServer"/>, so
/// the server sits above its transports and nothing calls back up (Kestrel's transports know no server either).
/// </summary>
internal sealed class ServerHost
{
    public ServerHost(ServerOptions options, ILogger logger, ILoggerFactory loggerFactory, ConnectionRegistry registry, int maxConnections)
    {
        Options = options;
        Logger = logger;
        LoggerFactory = loggerFactory;
        Registry = registry;
        MaxConnections = maxConnections;
        MaxOutputQueueBytes = options.MaxOutputQueueBytes;
        SlowConsumerLimitBytes = options.SlowConsumerLimitBytes ?? 2 * options.MaxOutputQueueBytes;
        Traffic = options.TrafficObserver;
        ServerFullMessage = Encoding.UTF8.GetBytes($"sockcat: server full ({maxConnections} connections); try again later\n");
    }

    public ServerOptions Options { get; }

    public ILogger Logger { get; }

    public ILoggerFactory LoggerFactory { get; }

    public ConnectionRegistry Registry { get; }

    public int MaxConnections { get; }

    /// <summary>The backpressure bound on a connection's outbound queue (<see cref="ServerOptions.MaxOutputQueueBytes"/>).</summary>
    public int MaxOutputQueueBytes { get; }

    /// <summary>The slow-consumer rule's limit, resolved (<see cref="ServerOptions.SlowConsumerLimitBytes"/>).</summary>
    public int SlowConsumerLimitBytes { get; }

    public byte[] ServerFullMessage { get; }

    /// <summary>
    /// <see cref="ServerOptions.TrafficObserver"/>, read once at start: the transports test it for null per chunk, and
    /// call <see cref="ServerConnection.ObserveTraffic"/> only when it is set.
    /// </summary>
    public IConnectionTrafficObserver? Traffic { get; }

    /// <summary>The reason a connection cut by the slow-consumer rule is closed with.</summary>
    public string SlowConsumerReason => $"slow consumer: over {SlowConsumerLimitBytes} bytes queued for a peer that is not reading";

    /// <summary>Decides on a new connection before any byte is read: the accept filter, then the connection limit.</summary>
    public Admission Admit(EndpointUrl listener, in PeerAddress peer, out int count)
    {
        count = 0;
        if (Options.AcceptFilter is { } filter && peer.IsIp && !filter(peer.ToIPAddress()!))
        {
            if (Logger.IsEnabled(LogLevel.Information))
            {
                ServerLog.ConnectionDenied(Logger, peer.Format(listener));
            }

            return Admission.Denied;
        }

        count = Registry.TryReserve(MaxConnections);
        if (count == 0)
        {
            if (Logger.IsEnabled(LogLevel.Warning))
            {
                ServerLog.ServerFull(Logger, peer.Format(listener), MaxConnections);
            }

            return Admission.Full;
        }

        return Admission.Admitted;
    }

    public void Opened(ServerConnection connection, int count)
    {
        Registry.Add(connection);
        if (Logger.IsEnabled(LogLevel.Information))
        {
            ServerLog.ConnectionAccepted(Logger, connection.Peer);
            ServerLog.ClientCount(Logger, count);
        }
    }

    public void Closed(ServerConnection connection, string? reason, bool imposed)
    {
        if (connection.CutAsSlowConsumer)
        {
            if (Logger.IsEnabled(LogLevel.Warning))
            {
                ServerLog.SlowConsumer(Logger, connection.Id, connection.Peer, SlowConsumerLimitBytes);
            }
        }
        else if (reason is not null)
        {
            if (imposed && Logger.IsEnabled(LogLevel.Information))
            {
                ServerLog.ConnectionClosing(Logger, connection.Id, connection.Peer, reason);
            }
            else if (Logger.IsEnabled(LogLevel.Debug))
            {
                ServerLog.ConnectionError(Logger, connection.Id, connection.Peer, reason);
            }
        }

        var count = Registry.Remove(connection);
        ServerLog.ClientDisconnected(Logger, count);
    }
}

/// <summary>What <see cref="ServerHost.Admit"/> decided.</summary>
internal enum Admission
{
    Admitted,
    Denied,
    Full,
}
