using System.Net.Sockets;
using SockCat.Endpoints;

namespace SockCat.Server;

/// <summary>
/// A listening tcp:// or unix:// socket from which a program accepts connections one at a time and serves them itself
/// (as <c>nc -l</c> does, with a <see cref="Streams.StreamBridge"/>), rather than through a <see cref="SockCatServer"/>.
/// It binds as the server does: a unix socket file left by a server that died (nothing answers on it) is replaced, a
/// path that is not a socket (a regular file, a directory) is refused and left untouched, and the socket file is
/// removed on <see cref="Dispose"/>.
/// </summary>
public sealed class StreamListener : IDisposable
{
    /// <summary>The default backlog: enough for a few clients arriving together at a listener that serves one at a time.</summary>
    public const int DefaultBacklog = 16;

    private readonly Socket _socket;
    private int _disposed;

    private StreamListener(EndpointUrl url, Socket socket)
    {
        _socket = socket;
        Url = ListenSockets.BoundUrl(url, socket.LocalEndPoint);
    }

    /// <summary>The endpoint listened on; for port 0, with the port the system chose.</summary>
    public EndpointUrl Url { get; }

    /// <summary>
    /// Binds and listens on <paramref name="url"/> (tcp:// or unix://). With <paramref name="addressFamily"/> given, only addresses
    /// of that family are used, as <c>nc -4 -l</c> and <c>nc -6 -l</c> do: a host name's first address of that family is bound,
    /// and <c>tcp://[::]:port</c> with <see cref="AddressFamily.InterNetworkV6"/> takes IPv6 clients only (by default it takes
    /// IPv4 clients too). Defaults to <see cref="AddressFamily.Unspecified"/>: a host name's first IPv4 address, else its first.
    /// </summary>
    /// <exception cref="ServerListenException">
    /// The endpoint cannot be listened on, or its IP address is not of <paramref name="addressFamily"/>; the message is one line for a user.
    /// </exception>
    public static StreamListener Start(EndpointUrl url, int backlog = DefaultBacklog, AddressFamily addressFamily = AddressFamily.Unspecified)
    {
        ArgumentNullException.ThrowIfNull(url);
        if (url.Scheme is not (EndpointScheme.Tcp or EndpointScheme.Unix))
        {
            throw new ServerListenException(url, $"{url}: a stream listener takes tcp:// and unix:// endpoints");
        }

        var family = url.Scheme == EndpointScheme.Unix ? AddressFamily.Unspecified : addressFamily;
        var socket = ListenSockets.CreateBound(url, ListenSockets.Resolve(url, family), ipv6Only: family == AddressFamily.InterNetworkV6);
        try
        {
            socket.Listen(backlog);
            return new StreamListener(url, socket);
        }
        catch (SocketException e)
        {
            socket.Dispose();
            throw ServerListenException.From(url, e);
        }
    }

    /// <summary>Waits for the next connection; the caller owns the socket returned.</summary>
    public async Task<Socket> AcceptAsync(CancellationToken cancellationToken = default) =>
        await _socket.AcceptAsync(cancellationToken).ConfigureAwait(false);

    /// <summary>Stops listening (clients not yet accepted are refused) and removes a unix socket file. Accepted sockets stay open.</summary>
    public void Dispose()
    {
        if (Interlocked.Exchange(ref _disposed, 1) != 0)
        {
            return;
        }

        _socket.Dispose();
        if (Url.Scheme == EndpointScheme.Unix)
        {
            try
            {
                File.Delete(Url.Path);
            }
            catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
            {
                // Removed by someone else, or a directory we may no longer write: nothing a user can act on here.
            }
        }
    }
}
