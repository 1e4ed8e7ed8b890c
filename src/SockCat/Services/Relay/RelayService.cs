using System.Net;
using Microsoft.Extensions.Logging;
using SockCat.Client;
using SockCat.Endpoints;
using SockCat.Server;
using SockCat.Server.Relay;

namespace SockCat.Services.Relay;

/// <summary>
/// A port forwarder, as <c>socat TCP-LISTEN:…,fork TCP:…</c>: every connection a server accepts is relayed to one target
/// (<see cref="IConnection.RelayTo"/>), and each relay is logged in one line with the bytes carried each way and its
/// duration. When the target cannot be reached the client is closed and the server's own close line says why; the next
/// client tries again.
/// </summary>
/// <example>
/// <code>
/// var relay = new RelayService(EndpointUrl.Parse("tcp://127.0.0.1:8080"), new ConnectOptions(), logger);
/// await using var server = new SockCatServer(relay.CreateProtocol, new ServerOptions(), loggerFactory);
/// await server.StartAsync([EndpointUrl.Parse("tcp://0.0.0.0:8000")]);
/// </code>
/// </example>
public sealed partial class RelayService : IRelayObserver
{
    private readonly RelayOptions _options;
    private readonly ILogger? _logger;
    private long _relayed;
    private long _unreachable;

    /// <summary>Relays every connection to <paramref name="target"/>.</summary>
    /// <param name="target">Where each client is relayed: tcp://, unix:// or tls://.</param>
    /// <param name="connect">How the target is connected to (time limit, a tls:// target's certificate checks); null for the defaults.</param>
    /// <param name="logger">Where the line for each relay goes; null for nowhere.</param>
    /// <exception cref="ArgumentException"><paramref name="target"/> cannot be connected to (udp://, ws://, port 0).</exception>
    public RelayService(EndpointUrl target, ConnectOptions? connect = null, ILogger? logger = null)
    {
        ArgumentNullException.ThrowIfNull(target);
        if (target.Scheme is not (EndpointScheme.Tcp or EndpointScheme.Unix or EndpointScheme.Tls))
        {
            throw new ArgumentException($"{target} cannot be relayed to; give a tcp://, unix:// or tls:// target", nameof(target));
        }

        Target = target;
        _options = new RelayOptions { Connect = connect ?? new ConnectOptions(), Observer = this };
        _logger = logger;
    }

    /// <summary>Where every connection is relayed.</summary>
    public EndpointUrl Target { get; }

    /// <summary>Moves the bytes with splice(2) on the epoll engine (<see cref="RelayOptions.Splice"/>). Defaults to false.</summary>
    public bool Splice
    {
        get => _options.Splice;
        init => _options = _options with { Splice = value };
    }

    /// <summary>Relays that reached the target, ended or not.</summary>
    public long Relayed => Interlocked.Read(ref _relayed);

    /// <summary>Clients closed because the target could not be reached.</summary>
    public long Unreachable => Interlocked.Read(ref _unreachable);

    /// <summary>The protocol factory to hand a server: each connection relays as soon as it is accepted.</summary>
    public IConnectionProtocol CreateProtocol(IConnection connection) => new Forwarder(this);

    void IRelayObserver.OnRelayConnected(IConnection connection, EndPoint? target) => Interlocked.Increment(ref _relayed);

    void IRelayObserver.OnRelayEnded(IConnection connection, RelayResult result)
    {
        if (result.ConnectError is not null)
        {
            // The server's close line already said why, in one line.
            Interlocked.Increment(ref _unreachable);
            return;
        }

        if (_logger is not null && _logger.IsEnabled(LogLevel.Information))
        {
            var ending = result.Reason is { } reason ? $" ({reason})" : "";
            RelayEnded(_logger, connection.Id, Describe(connection.RemoteEndPoint), Target.ToString(), result.BytesToTarget, result.BytesFromTarget,
                result.Duration.TotalSeconds.ToString("0.###", System.Globalization.CultureInfo.InvariantCulture), ending);
        }
    }

    private static string Describe(EndPoint? peer) => peer switch
    {
        IPEndPoint ip => ip.ToString(),
        null => "a unix socket",
        _ => peer.ToString() is { Length: > 0 } text ? text : "a unix socket",
    };

    [LoggerMessage(60, LogLevel.Information,
        "Relayed connection {ConnectionId} from {Peer} to {Target}: {BytesToTarget} bytes to it, {BytesFromTarget} bytes back, {Seconds} s{Ending}",
        EventName = "RelayEnded")]
    private static partial void RelayEnded(ILogger logger, long connectionId, string peer, string target, long bytesToTarget, long bytesFromTarget, string seconds, string ending);

    /// <summary>One connection's protocol: asks for the relay at once; the transport carries the bytes from then on.</summary>
    private sealed class Forwarder(RelayService service) : IConnectionProtocol
    {
        public void OnConnected(IConnection connection) => connection.RelayTo(service.Target, service._options);

        // Only reached before the relay takes over, which it does in OnConnected: nothing arrives here.
        public int OnReceived(IConnection connection, ReadOnlySpan<byte> data) => 0;
    }
}
