using System.Net;
using System.Net.Sockets;
using Microsoft.AspNetCore.Connections;
using SockCat.Endpoints;

namespace SockCat.Server.Hosting;

/// <summary>
/// Kestrel's transport for <see cref="ServerTransport.KestrelEpoll"/>, and for tls and web endpoints wherever tcp runs on
/// the epoll loop: each endpoint Kestrel binds is listened on by an <see cref="EpollConnectionListener"/>, i.e. by the
/// engine's own epoll loop, and Kestrel's pipeline (admission, TLS, <see cref="ProtocolConnectionHandler"/>) runs over
/// pipes fed by that loop. There a connection can half-close (<see cref="IConnectionHalfCloseFeature"/>), which Kestrel's
/// socket transport cannot (aspnetcore#14937).
/// </summary>
/// <remarks>With <c>arrivals</c> (--single), each accepted connection is numbered in order of arrival for the gate.</remarks>
internal sealed class EpollConnectionListenerFactory(ServerOptions options, Func<EndPoint, EndpointUrl?> urlOf, ArrivalOrderGate? arrivals = null)
    : IConnectionListenerFactory, IConnectionListenerFactorySelector, IAsyncDisposable
{
    private readonly List<EpollConnectionListener> _listeners = [];

    public bool CanBind(EndPoint endpoint) =>
        endpoint is IPEndPoint or UnixDomainSocketEndPoint && urlOf(endpoint) is { Scheme: EndpointScheme.Tcp or EndpointScheme.Unix or EndpointScheme.Tls } or { IsWeb: true };

    public async ValueTask<IConnectionListener> BindAsync(EndPoint endpoint, CancellationToken cancellationToken = default)
    {
        var url = urlOf(endpoint) ?? throw new NotSupportedException($"{endpoint} is not one of this server's tcp, unix or tls endpoints.");
        var listener = new EpollConnectionListener(options, arrivals);
        await listener.BindAsync(url, endpoint, cancellationToken).ConfigureAwait(false);
        lock (_listeners)
        {
            _listeners.Add(listener);
        }

        return listener;
    }

    /// <summary>
    /// Stops every listener's loops. Kestrel disposes the listeners it bound when it stops; this is for a start that
    /// failed half-way and for a stop Kestrel cut short, and is harmless after Kestrel's own.
    /// </summary>
    public async ValueTask DisposeAsync()
    {
        EpollConnectionListener[] listeners;
        lock (_listeners)
        {
            listeners = [.. _listeners];
            _listeners.Clear();
        }

        foreach (var listener in listeners)
        {
            await listener.DisposeAsync().ConfigureAwait(false);
        }
    }
}
