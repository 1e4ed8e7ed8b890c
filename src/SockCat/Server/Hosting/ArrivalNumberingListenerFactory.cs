using System.Net;
using Microsoft.AspNetCore.Connections;

namespace SockCat.Server.Hosting;

/// <summary>
/// `--single` over Kestrel's own socket transport: it wraps that transport so each connection is numbered in
/// <see cref="IConnectionListener.AcceptAsync"/>, which Kestrel's accept loop calls one at a time per listener. Past
/// that call each connection's pipeline starts on the thread pool in any order, so numbering there (as the pipeline
/// did before) let a later client be served before an earlier one. The epoll listener numbers its own connections.
/// </summary>
internal sealed class ArrivalNumberingListenerFactory(IConnectionListenerFactory inner, ArrivalOrderGate arrivals)
    : IConnectionListenerFactory, IConnectionListenerFactorySelector
{
    public bool CanBind(EndPoint endpoint) => inner is not IConnectionListenerFactorySelector selector || selector.CanBind(endpoint);

    public async ValueTask<IConnectionListener> BindAsync(EndPoint endpoint, CancellationToken cancellationToken = default) =>
        new Listener(await inner.BindAsync(endpoint, cancellationToken).ConfigureAwait(false), arrivals);

    private sealed class Listener(IConnectionListener inner, ArrivalOrderGate arrivals) : IConnectionListener
    {
        public EndPoint EndPoint => inner.EndPoint;

        public async ValueTask<ConnectionContext?> AcceptAsync(CancellationToken cancellationToken = default)
        {
            var connection = await inner.AcceptAsync(cancellationToken).ConfigureAwait(false);
            if (connection is not null)
            {
                connection.Items[KestrelTransport.ArrivalKey] = arrivals.Take();
            }

            return connection;
        }

        public ValueTask UnbindAsync(CancellationToken cancellationToken = default) => inner.UnbindAsync(cancellationToken);

        public ValueTask DisposeAsync() => inner.DisposeAsync();
    }
}
