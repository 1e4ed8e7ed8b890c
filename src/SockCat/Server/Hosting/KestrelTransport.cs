using System.Net;
using System.Net.Security;
using System.Security.Authentication;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Connections;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Server.Kestrel.Core;
using Microsoft.AspNetCore.Server.Kestrel.Transport.Sockets;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using SockCat.Endpoints;
using SockCat.Server.Tls;

namespace SockCat.Server.Hosting;

/// <summary>
/// The Kestrel side of a server, handed its <see cref="ServerHost"/> and listeners: tls:// listeners always, tcp:// and unix:// ones with
/// <see cref="ServerTransport.Kestrel"/> or where there is no epoll. No HTTP: each listener's connection pipeline is
/// admission (before TLS, so a denied peer sends no handshake), TLS where asked, then <see cref="ProtocolConnectionHandler"/>.
/// Kestrel's socket transport carries it with <see cref="ServerTransport.Kestrel"/> or where there is no epoll; otherwise
/// the engine's epoll loop accepts the connections (<see cref="EpollConnectionListenerFactory"/>): tls ones with the
/// epoll transport, all with <see cref="ServerTransport.KestrelEpoll"/>.
/// </summary>
internal sealed class KestrelTransport
{
    internal const string CountKey = "sockcat.count";
    internal const string ConnectionKey = "sockcat.connection";
    internal const string FullKey = "sockcat.full";

    private readonly ServerHost _host;
    private readonly CancellationTokenSource _stopGrace = new();
    internal const string ArrivalKey = "sockcat.arrival";

    // --single on Kestrel: connections are accepted (Kestrel has no pause) but wait here, in arrival order, before any
    // byte is read; to their clients that looks as the epoll loop's backlog does.
    private readonly ArrivalOrderGate _single = new();
    private WebApplication? _app;
    private EpollConnectionListenerFactory? _epollFactory;
    private Task? _stopping;
    private Timer? _idleTimer;

    public KestrelTransport(ServerHost host) => _host = host;

    /// <summary>Binds every listener (all or none), setting each one's bound URL, and starts serving.</summary>
    public async Task StartAsync(IReadOnlyList<ListenerBinding> bindings, CancellationToken cancellationToken)
    {
        var options = _host.Options;
        var urls = bindings.Select(b => b.Url).ToList();
        var builder = WebApplication.CreateEmptyBuilder(new WebApplicationOptions());
        var loggerFactory = new MinimumLevelLoggerFactory(_host.LoggerFactory, LogLevel.Warning);
        builder.Services.AddSingleton<ILoggerFactory>(loggerFactory);
        builder.Services.AddSingleton(typeof(ILogger<>), typeof(Logger<>));
        // The server handles Ctrl+C and SIGTERM itself (stop accepting, drain, summary); the host must not stop on its own.
        builder.Services.AddSingleton<IHostLifetime, PassiveHostLifetime>();
        builder.WebHost.UseKestrelCore();
        var endPoints = new Dictionary<string, EndpointUrl>();
        builder.WebHost.UseSockets(socketOptions =>
        {
            socketOptions.Backlog = options.ListenBacklog;
            socketOptions.NoDelay = true;
            socketOptions.MaxWriteBufferSize = options.MaxOutputQueueBytes;
            socketOptions.MaxReadBufferSize = Math.Max(64 * 1024, options.MaxInputBufferBytes);
            socketOptions.CreateBoundListenSocket = endPoint =>
                ListenSockets.CreateBound(endPoints.GetValueOrDefault(endPoint.ToString()!) ?? urls[0], endPoint);
        });
        if (options.SingleClient)
        {
            // Kestrel asks the last registered factory first: this one stands in for the socket transport.
            builder.Services.AddSingleton<IConnectionListenerFactory>(services => new ArrivalNumberingListenerFactory(
                ActivatorUtilities.CreateInstance<SocketTransportFactory>(services), _single));
        }

        if (options.Transport == ServerTransport.KestrelEpoll || SockCatServer.UsesEpoll(options.Transport))
        {
            // Registered after the socket transport, so Kestrel asks it first. With the epoll transport only tls listeners
            // come here: on the loop they can half-close (close_notify, then shutdown(SHUT_WR)), on sockets they cannot.
            _epollFactory = new EpollConnectionListenerFactory(
                options, endPoint => endPoints.GetValueOrDefault(endPoint.ToString()!), options.SingleClient ? _single : null);
            builder.Services.AddSingleton<IConnectionListenerFactory>(_epollFactory);
        }

        var listens = new List<(ListenerBinding Binding, ListenOptions Listen)>();
        builder.WebHost.ConfigureKestrel(kestrel =>
        {
            kestrel.AddServerHeader = false;
            foreach (var binding in bindings)
            {
                var url = binding.Url;
                var endPoint = ListenSockets.Resolve(url);
                endPoints[endPoint.ToString()!] = url;
                void Configure(ListenOptions listen)
                {
                    listen.Use(next => context => AdmitAsync(url, context, next));
                    if (url.Scheme == EndpointScheme.Tls)
                    {
                        var tls = options.TlsOptions ?? new SslServerAuthenticationOptions
                        {
                            ServerCertificate = options.ServerCertificate,
                            EnabledSslProtocols = SslProtocols.Tls12 | SslProtocols.Tls13,
                        };
                        listen.Use(next => new TlsConnectionMiddleware(next, tls, options.TlsHandshakeTimeout, _host.Logger).OnConnectionAsync);
                    }

                    listens.Add((binding, listen));
                    listen.Run(new ProtocolConnectionHandler(_host, binding).OnConnectedAsync);
                }

                if (endPoint is System.Net.Sockets.UnixDomainSocketEndPoint)
                {
                    kestrel.ListenUnixSocket(url.Path, Configure);
                }
                else
                {
                    kestrel.Listen((IPEndPoint)endPoint, Configure);
                }
            }
        });

        _app = builder.Build();
        try
        {
            await _app.StartAsync(cancellationToken).ConfigureAwait(false);
        }
        catch (Exception ex)
        {
            await _app.DisposeAsync().ConfigureAwait(false);
            if (_epollFactory is not null)
            {
                await _epollFactory.DisposeAsync().ConfigureAwait(false);
            }

            for (var e = ex; e is not null; e = e.InnerException)
            {
                if (e is ServerListenException listen)
                {
                    throw listen;
                }
            }

            throw;
        }

        if (options.IdleTimeout is { } idle)
        {
            var period = TimeSpan.FromMilliseconds(Math.Clamp(idle.TotalMilliseconds / 4, 10, 1000));
            _idleTimer = new Timer(_ => SweepIdle((long)idle.TotalMilliseconds, idle), null, period, period);
        }

        foreach (var (binding, listen) in listens)
        {
            binding.BoundUrl = ListenSockets.BoundUrl(binding.Url, listen.EndPoint);
        }
    }

    private async Task AdmitAsync(EndpointUrl url, ConnectionContext context, ConnectionDelegate next)
    {
        if (_host.Options.SingleClient)
        {
            // Numbered at accept by whichever listener took it (ArrivalNumberingListenerFactory, EpollConnectionListener).
            var ticket = (long)context.Items[ArrivalKey]!;
            try
            {
                await _single.WaitTurnAsync(ticket, context.ConnectionClosed).ConfigureAwait(false);
            }
            catch (OperationCanceledException)
            {
                _single.Leave(ticket);
                return;
            }

            try
            {
                await AdmitOneAsync(url, context, next).ConfigureAwait(false);
            }
            finally
            {
                _single.Leave(ticket);
            }

            return;
        }

        await AdmitOneAsync(url, context, next).ConfigureAwait(false);
    }

    private async Task AdmitOneAsync(EndpointUrl url, ConnectionContext context, ConnectionDelegate next)
    {
        var peer = PeerAddress.FromEndPoint(context.RemoteEndPoint);
        switch (_host.Admit(url, peer, out var count))
        {
            case Admission.Denied:
                context.Abort();
                return;
            case Admission.Full when url.Scheme == EndpointScheme.Tls:
                // The line must reach the client inside TLS, so the handshake goes ahead (bounded by its timeout) and the
                // handler, seeing this mark, writes the line instead of serving. No place was reserved.
                context.Items[FullKey] = true;
                await next(context).ConfigureAwait(false);
                return;
            case Admission.Full:
                await context.Transport.Output.WriteAsync(_host.ServerFullMessage).ConfigureAwait(false);
                return;
        }

        context.Items[CountKey] = count;
        try
        {
            await next(context).ConfigureAwait(false);
        }
        finally
        {
            if (!context.Items.ContainsKey(ConnectionKey))
            {
                // The handler never ran (the TLS handshake failed): give the place back.
                _host.Registry.Unreserve();
            }
        }
    }

    private void SweepIdle(long idleMs, TimeSpan idle)
    {
        var now = Environment.TickCount64;
        foreach (var connection in _host.Registry.Open)
        {
            if (connection is KestrelConnection k && now - k.LastActivity >= idleMs)
            {
                k.Terminate($"idle for {idle.TotalSeconds:0.###} s (idle timeout)");
            }
        }
    }

    /// <summary>Stops accepting; open connections carry on until <see cref="CloseAllAsync"/>.</summary>
    public Task StopAcceptingAsync()
    {
        // Kestrel's stop unbinds at once, then waits for connections until the token fires, then aborts them.
        _stopping = _app!.StopAsync(_stopGrace.Token);
        return Task.CompletedTask;
    }

    public async Task CloseAllAsync(string reason)
    {
        _idleTimer?.Dispose();
        foreach (var connection in _host.Registry.Open)
        {
            if (connection is KestrelConnection k)
            {
                k.Terminate(reason);
            }
        }

        _stopGrace.Cancel();
        if (_stopping is not null)
        {
            await _stopping.ConfigureAwait(false);
        }

        await _app!.DisposeAsync().ConfigureAwait(false);
        if (_epollFactory is not null)
        {
            await _epollFactory.DisposeAsync().ConfigureAwait(false);
        }
    }

    private sealed class PassiveHostLifetime : IHostLifetime
    {
        public Task WaitForStartAsync(CancellationToken cancellationToken) => Task.CompletedTask;

        public Task StopAsync(CancellationToken cancellationToken) => Task.CompletedTask;
    }
}
