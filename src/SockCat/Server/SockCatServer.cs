using System.Diagnostics;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Abstractions;
using SockCat.Endpoints;
using SockCat.Internal.Interop;
using SockCat.Server.Hosting;
using SockCat.Server.Transport;

namespace SockCat.Server;

/// <summary>
/// A server: listeners on tcp://, unix:// and tls:// endpoints, each speaking its own protocol (one protocol object per
/// connection), sharing one registry of connections, one set of limits and one log. The front door for every SockCat
/// service. ws://, http://, wss:// and https:// listeners serve the routes a service maps (see
/// <see cref="ServerOptions.Web"/>). One protocol on every endpoint:
/// <code>
/// await using var server = new SockCatServer(_ => EchoProtocol.Instance, new ServerOptions { IdleTimeout = TimeSpan.FromMinutes(5) });
/// var bound = await server.StartAsync([EndpointUrl.Parse("tcp://127.0.0.1:0")]);
/// // ... bound[0].Port is the port the system chose
/// var summary = await server.StopAsync();
/// </code>
/// Several protocols, one server (a line chat and IRC on two ports of one hub):
/// <code>
/// await using var server = new SockCatServer(new ServerOptions { MaxConnections = 1000 });
/// server.Listen(EndpointUrl.Parse("tcp://0.0.0.0:2323"), c => new LineChatProtocol(hub));
/// server.Listen(EndpointUrl.Parse("tcp://0.0.0.0:6667"), c => new IrcProtocol(hub));
/// var bound = await server.StartAsync();
/// </code>
/// tcp and unix listeners run on the engine's epoll loops (Linux x86-64) or on Kestrel's socket transport
/// (elsewhere, or with <see cref="ServerTransport.Kestrel"/>); tls listeners on Kestrel's pipeline, over the epoll loop
/// where tcp runs on it (a half-close is then close_notify and a FIN), else Kestrel's sockets. The connection log lines and
/// the registry are the same on every transport.
/// </summary>
public sealed class SockCatServer : IAsyncDisposable
{
    private readonly Func<IConnection, IConnectionProtocol>? _protocolFactory;
    private readonly List<ListenerBinding> _listeners = [];
    private readonly Stopwatch _uptime = new();
    private readonly Lock _stateLock = new();
    private EpollTransport? _epoll;
    private KestrelTransport? _kestrel;
    private Web.WebHost? _web;
    private Task<ServerSummary>? _stopping;
    private int _maxConnections;
    private bool _started;

    /// <summary>Creates a server whose connections speak what <paramref name="protocolFactory"/> returns.</summary>
    /// <param name="protocolFactory">
    /// Called once per accepted connection, on the connection's thread, before any byte is read; a stateless protocol may
    /// return one shared instance. Used for the endpoints given to <see cref="StartAsync(IEnumerable{EndpointUrl}, CancellationToken)"/>.
    /// </param>
    /// <param name="options">Listeners' settings and limits; null for the defaults.</param>
    /// <param name="loggerFactory">Where the connection log lines go (category <c>SockCat.Server</c>); null for none.</param>
#pragma warning disable RS0026 // see the other constructor
    public SockCatServer(Func<IConnection, IConnectionProtocol> protocolFactory, ServerOptions? options = null, ILoggerFactory? loggerFactory = null)
#pragma warning restore RS0026
        : this(options, loggerFactory)
    {
        _protocolFactory = protocolFactory ?? throw new ArgumentNullException(nameof(protocolFactory));
    }

    /// <summary>Creates a server with no listener yet; add each with <see cref="Listen"/>, then call <see cref="StartAsync(CancellationToken)"/>.</summary>
    /// <param name="options">Listeners' settings and limits, shared by every listener; null for the defaults.</param>
    /// <param name="loggerFactory">Where the connection log lines go (category <c>SockCat.Server</c>); null for none.</param>
    // RS0026 guards shipped overloads against a later optional parameter; none has shipped (PublicAPI.Shipped.txt is
    // empty), and the two constructors (and the two StartAsync) are told apart by their first parameter's type.
#pragma warning disable RS0026
    public SockCatServer(ServerOptions? options = null, ILoggerFactory? loggerFactory = null)
#pragma warning restore RS0026
    {
        Options = options ?? new ServerOptions();
        LoggerFactory = loggerFactory ?? NullLoggerFactory.Instance;
        Logger = LoggerFactory.CreateLogger("SockCat.Server");
    }

    /// <summary>The options the server was created with; changing them after <see cref="StartAsync(CancellationToken)"/> has no effect.</summary>
    public ServerOptions Options { get; }

    /// <summary>The open connections and the totals, on every listener.</summary>
    public ConnectionRegistry Connections { get; } = new();

    /// <summary>The endpoints listened on, in the order they were added, with the chosen port where port 0 was asked for; empty before start.</summary>
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

    /// <summary>
    /// Adds a listener on <paramref name="endpoint"/> whose connections speak what <paramref name="protocolFactory"/>
    /// returns. Every listener shares the server's registry, limits (<see cref="Options"/>) and log; a connection's
    /// <see cref="IConnection.Listener"/> says which listener it came in on. Call before start.
    /// </summary>
    /// <param name="endpoint">
    /// A tcp://, unix:// or tls:// endpoint; port 0 picks a free port. A ws://, http://, wss:// or https:// endpoint serves
    /// the routes in <see cref="ServerOptions.Web"/> instead of <paramref name="protocolFactory"/>.
    /// </param>
    /// <param name="protocolFactory">
    /// Called once per connection accepted on this listener, on the connection's thread, before any byte is read; a
    /// stateless protocol may return one shared instance.
    /// </param>
    /// <exception cref="ServerListenException">The endpoint's scheme is not served by this server.</exception>
    /// <exception cref="InvalidOperationException">The server was already started.</exception>
    public void Listen(EndpointUrl endpoint, Func<IConnection, IConnectionProtocol> protocolFactory)
    {
        ArgumentNullException.ThrowIfNull(endpoint);
        ArgumentNullException.ThrowIfNull(protocolFactory);
        if (!endpoint.IsWeb && endpoint.Scheme is not (EndpointScheme.Tcp or EndpointScheme.Unix or EndpointScheme.Tls))
        {
            throw new ServerListenException(endpoint, $"{endpoint}: a {EndpointUrl.SchemeName(endpoint.Scheme)}:// endpoint is not served here; use tcp://, unix:// or tls://");
        }

        lock (_stateLock)
        {
            if (_started)
            {
                throw new InvalidOperationException("Listeners are added before the server starts.");
            }

            _listeners.Add(new ListenerBinding(endpoint, protocolFactory));
        }
    }

    /// <summary>
    /// Adds a web listener (ws://, http://, wss:// or https://) that serves the routes <paramref name="mapRoutes"/> maps:
    /// pages, WebSocket endpoints (<see cref="Web.WebSocketEndpointRouteBuilderExtensions.MapWebSocketMessages"/>),
    /// Server-Sent Events. It shares the server's registry, limits, access lists, log and <see cref="ServerOptions.Web"/>
    /// rules with every other listener; its routes are its own, so one server can serve, say, a chat page on one port and
    /// an admin page on another. Call before start.
    /// </summary>
    /// <param name="endpoint">A ws://, http://, wss:// or https:// endpoint; port 0 picks a free port.</param>
    /// <param name="mapRoutes">Called once, with this listener's ASP.NET Core application, before it starts.</param>
    /// <exception cref="ServerListenException">The endpoint is not a web endpoint.</exception>
    /// <exception cref="InvalidOperationException">The server was already started.</exception>
    public void ListenWeb(EndpointUrl endpoint, Action<Microsoft.AspNetCore.Routing.IEndpointRouteBuilder> mapRoutes)
    {
        ArgumentNullException.ThrowIfNull(endpoint);
        ArgumentNullException.ThrowIfNull(mapRoutes);
        if (!endpoint.IsWeb)
        {
            throw new ServerListenException(endpoint, $"{endpoint}: a web listener takes ws://, http://, wss:// or https://");
        }

        lock (_stateLock)
        {
            if (_started)
            {
                throw new InvalidOperationException("Listeners are added before the server starts.");
            }

            _listeners.Add(new ListenerBinding(endpoint, static _ => throw new InvalidOperationException("A web listener has no stream protocol."), mapRoutes));
        }
    }

    /// <summary>
    /// Listens on every endpoint with the protocol given to the constructor (after any listener added with
    /// <see cref="Listen"/>), and starts serving. All endpoints are bound or none: if one fails, those already bound are
    /// closed and the error is thrown.
    /// </summary>
    /// <returns>Every listener's bound endpoint, in the order added, with the chosen port where port 0 was asked for.</returns>
    /// <exception cref="ServerListenException">An endpoint cannot be listened on; the message says why and what to do.</exception>
    /// <exception cref="ArgumentOutOfRangeException">A limit in <see cref="Options"/> is out of range, or <see cref="ServerOptions.MaxConnections"/> is more than the open-file limit allows.</exception>
#pragma warning disable RS0026 // see the constructors
    public Task<IReadOnlyList<EndpointUrl>> StartAsync(IEnumerable<EndpointUrl> endpoints, CancellationToken cancellationToken = default)
#pragma warning restore RS0026
    {
        ArgumentNullException.ThrowIfNull(endpoints);
        var urls = endpoints.ToList();
        if (urls.Count == 0)
        {
            throw new ArgumentException("No endpoint to listen on.", nameof(endpoints));
        }

        var factory = _protocolFactory ?? throw new InvalidOperationException(
            "This server has no default protocol: pass one to the constructor, or add each listener with Listen.");
        foreach (var url in urls)
        {
            Listen(url, factory);
        }

        return StartAsync(cancellationToken);
    }

    /// <summary>
    /// Binds every listener added with <see cref="Listen"/> and starts serving. All are bound or none: if one fails,
    /// those already bound are closed and the error is thrown.
    /// </summary>
    /// <returns>Every listener's bound endpoint, in the order added, with the chosen port where port 0 was asked for.</returns>
    /// <exception cref="ServerListenException">An endpoint cannot be listened on; the message says why and what to do.</exception>
    /// <exception cref="ArgumentOutOfRangeException">A limit in <see cref="Options"/> is out of range, or <see cref="ServerOptions.MaxConnections"/> is more than the open-file limit allows.</exception>
#pragma warning disable RS0026 // see the constructors
    public async Task<IReadOnlyList<EndpointUrl>> StartAsync(CancellationToken cancellationToken = default)
#pragma warning restore RS0026
    {
        List<ListenerBinding> listeners;
        lock (_stateLock)
        {
            if (_started)
            {
                throw new InvalidOperationException("The server was already started.");
            }

            _started = true;
            listeners = [.. _listeners];
        }

        if (listeners.Count == 0)
        {
            throw new InvalidOperationException("No endpoint to listen on: add one with Listen first.");
        }

        _maxConnections = ResolveMaxConnections(Options.MaxConnections);
        CheckOutputLimits(Options);
        var host = new ServerHost(Options, Logger, LoggerFactory, Connections, _maxConnections);

        var useEpoll = UsesEpoll(Options.Transport);
        if (Options.Transport is ServerTransport.Epoll or ServerTransport.KestrelEpoll && !LinuxSockets.IsSupported)
        {
            throw new PlatformNotSupportedException($"The {Options.Transport} transport needs Linux on x86-64; use ServerTransport.Auto or Kestrel.");
        }

        foreach (var (url, routes) in listeners.Select(l => (l.Url, l.MapRoutes)))
        {
            if (url.IsWeb && routes is null && Options.Web.MapRoutes is null)
            {
                throw new ServerListenException(url, $"{url}: this service has no web side; use tcp://, unix:// or tls://");
            }

            if (!url.IsWeb && url.Scheme is not (EndpointScheme.Tcp or EndpointScheme.Unix or EndpointScheme.Tls))
            {
                throw new ServerListenException(url, $"{url}: a {EndpointUrl.SchemeName(url.Scheme)}:// endpoint is not served here; use tcp://, unix:// or tls://");
            }

            if (url.IsSecure && Options.TlsOptions is null && Options.ServerCertificate is null)
            {
                throw new ServerListenException(url, $"{url}: a {EndpointUrl.SchemeName(url.Scheme)}:// listener needs a certificate; set ServerOptions.ServerCertificate or ServerOptions.TlsOptions");
            }
        }

        // Web listeners (ws, http, wss, https) have a host of their own (Web/WebHost.cs); the rest is the engine's.
        var onWeb = listeners.Where(l => l.Url.IsWeb).ToList();
        var onEpoll = listeners.Where(l => !l.Url.IsWeb && useEpoll && l.Url.Scheme != EndpointScheme.Tls).ToList();
        var onKestrel = listeners.Where(l => !l.Url.IsWeb && !(useEpoll && l.Url.Scheme != EndpointScheme.Tls)).ToList();
        _uptime.Start();
        if (onEpoll.Count > 0)
        {
            _epoll = new EpollTransport(host);
            _epoll.Start(onEpoll);
        }

        if (onKestrel.Count > 0)
        {
            _kestrel = new KestrelTransport(host);
            try
            {
                await _kestrel.StartAsync(onKestrel, cancellationToken).ConfigureAwait(false);
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

        if (onWeb.Count > 0)
        {
            _web = new Web.WebHost(host);
            try
            {
                var webBound = await _web.StartAsync(onWeb, cancellationToken).ConfigureAwait(false);
                for (var i = 0; i < onWeb.Count; i++)
                {
                    onWeb[i].BoundUrl = webBound[i];
                }
            }
            catch
            {
                _web = null;
                await StopAsync(TimeSpan.Zero).ConfigureAwait(false);
                throw;
            }
        }

        BoundEndpoints = listeners.Select(l => l.BoundUrl).ToList();
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

        _web?.StopAccepting();
        await Task.WhenAll(stopAccepting).ConfigureAwait(false);

        var deadline = Stopwatch.StartNew();
        while (Connections.Count > 0 && deadline.Elapsed < drain && !cancellationToken.IsCancellationRequested)
        {
            await Task.Delay(TimeSpan.FromMilliseconds(20), CancellationToken.None).ConfigureAwait(false);
        }

        const string reason = "server stopping";
        if (_web is not null)
        {
            await _web.CloseAllAsync(reason).ConfigureAwait(false);
        }

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

    private static void CheckOutputLimits(ServerOptions options)
    {
        if (options.MaxOutputQueueBytes < 1)
        {
            throw new ArgumentOutOfRangeException(nameof(ServerOptions.MaxOutputQueueBytes), options.MaxOutputQueueBytes, "MaxOutputQueueBytes must be at least 1.");
        }

        if (options.SlowConsumerLimitBytes is { } limit && limit <= options.MaxOutputQueueBytes)
        {
            // At or under the backpressure bound, a producer that waits for room (IConnection.WriteAsync) would be cut.
            throw new ArgumentOutOfRangeException(nameof(ServerOptions.SlowConsumerLimitBytes), limit,
                $"SlowConsumerLimitBytes must be more than MaxOutputQueueBytes ({options.MaxOutputQueueBytes}).");
        }
    }
}
