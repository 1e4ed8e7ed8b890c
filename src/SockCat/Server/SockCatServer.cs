using System.Diagnostics;
using System.Text;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Abstractions;
using SockCat.Endpoints;
using SockCat.Internal.Interop;
using SockCat.Server.Hosting;
using SockCat.Server.Transport;

namespace SockCat.Server;

/// <summary>
/// A server: listeners on tcp://, unix:// and tls:// endpoints, one protocol object per connection, limits, and a
/// registry of connections. The front door for every SockCat service:
/// <code>
/// await using var server = new SockCatServer(_ => EchoProtocol.Instance, new ServerOptions { IdleTimeout = TimeSpan.FromMinutes(5) });
/// var bound = await server.StartAsync([EndpointUrl.Parse("tcp://127.0.0.1:0")]);
/// // ... bound[0].Port is the port the system chose
/// var summary = await server.StopAsync();
/// </code>
/// tcp and unix listeners run on the engine's epoll loops (Linux x86-64) or on Kestrel's socket transport
/// (elsewhere, or with <see cref="ServerTransport.Kestrel"/>); tls listeners on Kestrel. The connection log lines and
/// the registry are the same on every transport.
/// </summary>
public sealed class SockCatServer : IAsyncDisposable
{
    private readonly Func<IConnection, IConnectionProtocol> _protocolFactory;
    private readonly Stopwatch _uptime = new();
    private readonly Lock _stateLock = new();
    private EpollTransport? _epoll;
    private KestrelTransport? _kestrel;
    private Task<ServerSummary>? _stopping;
    private int _maxConnections;
    private bool _started;

    /// <summary>Creates a server whose connections speak what <paramref name="protocolFactory"/> returns.</summary>
    /// <param name="protocolFactory">
    /// Called once per accepted connection, on the connection's thread, before any byte is read; a stateless protocol may
    /// return one shared instance.
    /// </param>
    /// <param name="options">Listeners' settings and limits; null for the defaults.</param>
    /// <param name="loggerFactory">Where the connection log lines go (category <c>SockCat.Server</c>); null for none.</param>
    public SockCatServer(Func<IConnection, IConnectionProtocol> protocolFactory, ServerOptions? options = null, ILoggerFactory? loggerFactory = null)
    {
        _protocolFactory = protocolFactory ?? throw new ArgumentNullException(nameof(protocolFactory));
        Options = options ?? new ServerOptions();
        LoggerFactory = loggerFactory ?? NullLoggerFactory.Instance;
        Logger = LoggerFactory.CreateLogger("SockCat.Server");
    }

    /// <summary>The options the server was created with; changing them after <see cref="StartAsync"/> has no effect.</summary>
    public ServerOptions Options { get; }

    /// <summary>The open connections and the totals.</summary>
    public ConnectionRegistry Connections { get; } = new();

    /// <summary>The endpoints listened on, with the chosen port where port 0 was asked for; empty before start.</summary>
    public IReadOnlyList<EndpointUrl> BoundEndpoints { get; private set; } = [];

    /// <summary>The connection limit in force: <see cref="ServerOptions.MaxConnections"/> or the one derived from the open-file limit.</summary>
    public int MaxConnections => _maxConnections;

    /// <summary>True when tcp and unix listeners would run on the engine's own epoll loop with <paramref name="transport"/>.</summary>
    public static bool UsesEpoll(ServerTransport transport) => transport switch
    {
        ServerTransport.Epoll => true,
        ServerTransport.Kestrel or ServerTransport.KestrelEpoll => false,
        _ => LinuxSockets.IsSupported,
    };

    internal ILoggerFactory LoggerFactory { get; }

    internal ILogger Logger { get; }

    internal ConnectionRegistry Registry => Connections;

    internal byte[] ServerFullMessage { get; private set; } = [];

    /// <summary>
    /// Binds every endpoint and starts serving. All endpoints are bound or none: if one fails, those already bound are
    /// closed and the error is thrown.
    /// </summary>
    /// <returns>The bound endpoints, in the order given, with the chosen port where port 0 was asked for.</returns>
    /// <exception cref="ServerListenException">An endpoint cannot be listened on; the message says why and what to do.</exception>
    /// <exception cref="ArgumentOutOfRangeException"><see cref="ServerOptions.MaxConnections"/> is more than the open-file limit allows.</exception>
    public async Task<IReadOnlyList<EndpointUrl>> StartAsync(IEnumerable<EndpointUrl> endpoints, CancellationToken cancellationToken = default)
    {
        var urls = endpoints.ToList();
        lock (_stateLock)
        {
            if (_started)
            {
                throw new InvalidOperationException("The server was already started.");
            }

            _started = true;
        }

        if (urls.Count == 0)
        {
            throw new ArgumentException("No endpoint to listen on.", nameof(endpoints));
        }

        _maxConnections = ResolveMaxConnections(Options.MaxConnections);
        ServerFullMessage = Encoding.UTF8.GetBytes($"sockcat: server full ({_maxConnections} connections); try again later\n");

        var useEpoll = UsesEpoll(Options.Transport);
        if (Options.Transport is ServerTransport.Epoll or ServerTransport.KestrelEpoll && !LinuxSockets.IsSupported)
        {
            throw new PlatformNotSupportedException($"The {Options.Transport} transport needs Linux on x86-64; use ServerTransport.Auto or Kestrel.");
        }

        foreach (var url in urls)
        {
            if (url.Scheme is not (EndpointScheme.Tcp or EndpointScheme.Unix or EndpointScheme.Tls))
            {
                throw new ServerListenException(url, $"{url}: a {EndpointUrl.SchemeName(url.Scheme)}:// endpoint is not served here; use tcp://, unix:// or tls://");
            }

            if (url.Scheme == EndpointScheme.Tls && Options.TlsOptions is null && Options.ServerCertificate is null)
            {
                throw new ServerListenException(url, $"{url}: a tls:// listener needs a certificate; give one (--cert/--key)");
            }
        }

        var epollUrls = urls.Where(u => useEpoll && u.Scheme != EndpointScheme.Tls).ToList();
        var kestrelUrls = urls.Where(u => !(useEpoll && u.Scheme != EndpointScheme.Tls)).ToList();
        var bound = new Dictionary<EndpointUrl, EndpointUrl>();
        _uptime.Start();
        if (epollUrls.Count > 0)
        {
            _epoll = new EpollTransport(this);
            foreach (var (asked, got) in epollUrls.Zip(_epoll.Start(epollUrls)))
            {
                bound[asked] = got;
            }
        }

        if (kestrelUrls.Count > 0)
        {
            _kestrel = new KestrelTransport(this);
            try
            {
                foreach (var (asked, got) in kestrelUrls.Zip(await _kestrel.StartAsync(kestrelUrls, cancellationToken).ConfigureAwait(false)))
                {
                    bound[asked] = got;
                }
            }
            catch
            {
                _kestrel = null;
                if (_epoll is not null)
                {
                    await _epoll.ExitAsync("server failed to start").ConfigureAwait(false);
                }

                throw;
            }
        }

        BoundEndpoints = urls.Select(u => bound[u]).ToList();
        return BoundEndpoints;
    }

    /// <summary>
    /// Stops accepting at once on every listener, lets open connections finish for up to <paramref name="drain"/>, then
    /// closes those left (logging each with the reason "server stopping"). Safe to call more than once: later calls
    /// return the first one's result.
    /// </summary>
    /// <param name="drain">How long connections may finish; defaults to <see cref="ServerOptions.DrainTimeout"/>.</param>
    /// <param name="cancellationToken">Cuts the drain short.</param>
    /// <returns>What the server did in its lifetime.</returns>
    public Task<ServerSummary> StopAsync(TimeSpan? drain = null, CancellationToken cancellationToken = default)
    {
        lock (_stateLock)
        {
            return _stopping ??= StopCoreAsync(drain ?? Options.DrainTimeout, cancellationToken);
        }
    }

    private async Task<ServerSummary> StopCoreAsync(TimeSpan drain, CancellationToken cancellationToken)
    {
        await Task.Yield();
        var stopAccepting = new List<Task>();
        if (_epoll is not null)
        {
            stopAccepting.Add(_epoll.StopAcceptingAsync());
        }

        if (_kestrel is not null)
        {
            stopAccepting.Add(_kestrel.StopAcceptingAsync());
        }

        await Task.WhenAll(stopAccepting).ConfigureAwait(false);

        var deadline = Stopwatch.StartNew();
        while (Connections.Count > 0 && deadline.Elapsed < drain && !cancellationToken.IsCancellationRequested)
        {
            await Task.Delay(TimeSpan.FromMilliseconds(20), CancellationToken.None).ConfigureAwait(false);
        }

        const string reason = "server stopping";
        if (_kestrel is not null)
        {
            await _kestrel.CloseAllAsync(reason).ConfigureAwait(false);
        }

        if (_epoll is not null)
        {
            await _epoll.ExitAsync(reason).ConfigureAwait(false);
        }

        _uptime.Stop();
        return new ServerSummary(Connections.TotalAccepted, Connections.BytesReceived, Connections.BytesSent, _uptime.Elapsed);
    }

    /// <summary>Stops at once, without draining.</summary>
    public async ValueTask DisposeAsync()
    {
        bool started;
        lock (_stateLock)
        {
            started = _started;
        }

        if (started)
        {
            await StopAsync(TimeSpan.Zero).ConfigureAwait(false);
        }
    }

    private static int ResolveMaxConnections(int? asked)
    {
        var limit = OpenFileLimit.Current;
        if (asked is { } max)
        {
            if (max < 1)
            {
                throw new ArgumentOutOfRangeException(nameof(ServerOptions.MaxConnections), max, "MaxConnections must be at least 1.");
            }

            if (limit is { } l && max > OpenFileLimit.ConnectionsAllowed(l))
            {
                throw new ArgumentOutOfRangeException(nameof(ServerOptions.MaxConnections), max,
                    $"{max} connections need more open files than the limit ({l}) allows; raise the limit (ulimit -n, or LimitNOFILE= for a service) or ask for {OpenFileLimit.ConnectionsAllowed(l)} or fewer");
            }

            return max;
        }

        return limit is { } current ? OpenFileLimit.ConnectionsAllowed(current) : 10_000;
    }

    internal IConnectionProtocol CreateProtocol(IConnection connection) => _protocolFactory(connection);

    /// <summary>Decides on a new connection before any byte is read: the accept filter, then the connection limit.</summary>
    internal Admission Admit(EndpointUrl listener, in PeerAddress peer, out int count)
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

        count = Connections.TryReserve(_maxConnections);
        if (count == 0)
        {
            if (Logger.IsEnabled(LogLevel.Warning))
            {
                ServerLog.ServerFull(Logger, peer.Format(listener), _maxConnections);
            }

            return Admission.Full;
        }

        return Admission.Admitted;
    }

    internal void Opened(ServerConnection connection, int count)
    {
        Connections.Add(connection);
        if (Logger.IsEnabled(LogLevel.Information))
        {
            ServerLog.ConnectionAccepted(Logger, connection.Peer);
            ServerLog.ClientCount(Logger, count);
        }
    }

    internal void Closed(ServerConnection connection, string? reason, bool imposed)
    {
        if (reason is not null)
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

        var count = Connections.Remove(connection);
        ServerLog.ClientDisconnected(Logger, count);
    }
}

/// <summary>What <see cref="SockCatServer.Admit"/> decided.</summary>
internal enum Admission
{
    Admitted,
    Denied,
    Full,
}
