using System.Net;
using System.Net.Security;
using System.Net.WebSockets;
using System.Security.Authentication;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Connections;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Http.Features;
using Microsoft.AspNetCore.Server.Kestrel.Core;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using SockCat.Endpoints;
using SockCat.Server;
using SockCat.Server.Hosting;
using SockCat.Server.Tls;

namespace SockCat.Web;

/// <summary>
/// A server's web listeners (ws://, http://, wss://, https://): one ASP.NET Core application each, HTTP/1.1, on the
/// engine's epoll loop wherever tcp runs there (<see cref="EpollConnectionListenerFactory"/>, so that a WebSocket's
/// connection can read a descriptor on its own thread: <see cref="WebSocketSession.TryAttachDescriptor"/>), else on
/// Kestrel's socket transport, with the routes the service maps (the listener's own from <see cref="SockCatServer.ListenWeb"/>, or <see cref="WebOptions.MapRoutes"/>). The server's
/// admission, registry and log lines apply through <see cref="WebAdmission"/>; TLS is the tls:// listeners' own
/// middleware with the same certificate and handshake timeout.
/// </summary>
internal sealed class WebHost(ServerHost server)
{
    // On stop, how long WebSockets told 1001 have to answer before their connections are cut.
    private static readonly TimeSpan CloseGrace = TimeSpan.FromSeconds(2);

    private readonly List<(WebApplication App, WebListenerContext Listener)> _apps = [];
    private readonly CancellationTokenSource _stopGrace = new();
    private readonly List<Task> _stopping = [];
    private readonly List<EpollConnectionListenerFactory> _epollFactories = [];

    public async Task<IReadOnlyList<EndpointUrl>> StartAsync(IReadOnlyList<ListenerBinding> listeners, CancellationToken cancellationToken)
    {
        var bound = new List<EndpointUrl>();
        try
        {
            foreach (var binding in listeners)
            {
                bound.Add(await StartOneAsync(binding, cancellationToken).ConfigureAwait(false));
            }
        }
        catch
        {
            foreach (var (app, _) in _apps)
            {
                await app.StopAsync(CancellationToken.None).ConfigureAwait(false);
                await app.DisposeAsync().ConfigureAwait(false);
            }

            await DisposeEpollAsync().ConfigureAwait(false);
            throw;
        }

        return bound;
    }

    private async Task<EndpointUrl> StartOneAsync(ListenerBinding binding, CancellationToken cancellationToken)
    {
        var url = binding.Url;
        var options = server.Options;
        var web = options.Web;
        var listener = new WebListenerContext(web, server.LoggerFactory.CreateLogger("SockCat.Web"));
        var admission = new WebAdmission(server, listener, url);
        var builder = WebApplication.CreateEmptyBuilder(new WebApplicationOptions());
        builder.Services.AddSingleton<ILoggerFactory>(new MinimumLevelLoggerFactory(server.LoggerFactory, LogLevel.Warning));
        builder.Services.AddSingleton(typeof(ILogger<>), typeof(Logger<>));
        // The server handles Ctrl+C and SIGTERM itself (stop accepting, drain, summary); the host must not stop on its own.
        builder.Services.AddSingleton<IHostLifetime, PassiveHostLifetime>();
        builder.Services.AddRouting();
        builder.Services.AddSingleton(listener);
        builder.WebHost.UseKestrelCore();
        builder.WebHost.UseSockets(sockets =>
        {
            sockets.Backlog = options.ListenBacklog;
            sockets.NoDelay = true;
            sockets.CreateBoundListenSocket = endPoint => ListenSockets.CreateBound(url, endPoint);
        });
        if (SockCatServer.UsesEpoll(options.Transport) || options.Transport == ServerTransport.KestrelEpoll)
        {
            // Registered after the socket transport, so Kestrel asks it first.
            var epoll = new EpollConnectionListenerFactory(options, _ => url);
            _epollFactories.Add(epoll);
            builder.Services.AddSingleton<IConnectionListenerFactory>(epoll);
        }

        var endPoint = ListenSockets.Resolve(url);
        if (endPoint is not IPEndPoint ip)
        {
            throw new ServerListenException(url, $"{url}: a web listener needs an IP address and port");
        }

        ListenOptions? listen = null;
        builder.WebHost.ConfigureKestrel(kestrel =>
        {
            kestrel.AddServerHeader = false;
            if (options.IdleTimeout is { } idle)
            {
                // An HTTP connection between requests; an open WebSocket is kept or dropped by its pings instead.
                kestrel.Limits.KeepAliveTimeout = idle;
            }

            kestrel.Listen(ip, l =>
            {
                listen = l;
                // HTTP/1.1 only: one WebSocket or event stream per connection, so the registry's entry is that stream.
                l.Protocols = HttpProtocols.Http1;
                l.Use(next => context => admission.AdmitAsync(context, next));
                if (url.IsSecure)
                {
                    var tls = options.TlsOptions ?? new SslServerAuthenticationOptions
                    {
                        ServerCertificate = options.ServerCertificate,
                        EnabledSslProtocols = SslProtocols.Tls12 | SslProtocols.Tls13,
                    };
                    l.Use(next => new TlsConnectionMiddleware(next, tls, options.TlsHandshakeTimeout, server.Logger).OnConnectionAsync);
                }

                l.Use(next => context => admission.OpenAsync(context, next));
            });
        });

        var app = builder.Build();
        app.Use((context, next) =>
        {
            if (context.Features.Get<IHttpUpgradeFeature>() is { IsUpgradableRequest: true } upgrade)
            {
                context.Features.Set<IHttpUpgradeFeature>(new GracefulUpgradeFeature(upgrade));
            }

            return next(context);
        });
        app.UseWebSockets(new WebSocketOptions { KeepAliveInterval = web.KeepAliveInterval, KeepAliveTimeout = web.KeepAliveTimeout });
        app.UseRouting();
        if (binding.MapRoutes is { } own)
        {
            own(app);
        }
        else
        {
            web.MapRoutes!(app, url);
        }
        try
        {
            await app.StartAsync(cancellationToken).ConfigureAwait(false);
        }
        catch (Exception ex)
        {
            await app.DisposeAsync().ConfigureAwait(false);
            for (var e = ex; e is not null; e = e.InnerException)
            {
                if (e is ServerListenException failed)
                {
                    throw failed;
                }
            }

            throw;
        }

        _apps.Add((app, listener));
        admission.Listener = ListenSockets.BoundUrl(url, listen!.EndPoint);
        return admission.Listener;
    }

    /// <summary>Stops accepting; open connections (WebSockets, event streams) carry on until <see cref="CloseAllAsync"/>.</summary>
    public void StopAccepting()
    {
        foreach (var (app, _) in _apps)
        {
            // Kestrel's stop unbinds at once and closes idle HTTP connections, then waits for requests until the token fires.
            _stopping.Add(app.StopAsync(_stopGrace.Token));
        }
    }

    /// <summary>Tells every WebSocket 1001 with <paramref name="reason"/>, gives them a moment to answer, then cuts what is left.</summary>
    public async Task CloseAllAsync(string reason)
    {
        foreach (var (_, listener) in _apps)
        {
            foreach (var session in listener.Sessions)
            {
                session.Close(WebSocketCloseStatus.EndpointUnavailable, reason);
            }
        }

        var deadline = Environment.TickCount64 + (long)CloseGrace.TotalMilliseconds;
        while (_apps.Any(a => a.Listener.HasConnections) && Environment.TickCount64 < deadline)
        {
            await Task.Delay(20).ConfigureAwait(false);
        }

        foreach (var (_, listener) in _apps)
        {
            listener.TerminateAll(reason);
        }

        await _stopGrace.CancelAsync().ConfigureAwait(false);
        await Task.WhenAll(_stopping).ConfigureAwait(false);
        foreach (var (app, _) in _apps)
        {
            await app.DisposeAsync().ConfigureAwait(false);
        }

        await DisposeEpollAsync().ConfigureAwait(false);
    }

    /// <summary>Stops the epoll listeners' loops (Kestrel disposes those it bound; this covers a start that failed half-way).</summary>
    private async Task DisposeEpollAsync()
    {
        foreach (var epoll in _epollFactories)
        {
            await epoll.DisposeAsync().ConfigureAwait(false);
        }

        _epollFactories.Clear();
    }

    private sealed class PassiveHostLifetime : IHostLifetime
    {
        public Task WaitForStartAsync(CancellationToken cancellationToken) => Task.CompletedTask;

        public Task StopAsync(CancellationToken cancellationToken) => Task.CompletedTask;
    }
}
