using System.Net;
using System.Net.Sockets;
using SockCat.Endpoints;

namespace SockCat.Server;

/// <summary>
/// A bound udp:// socket for a program that takes datagrams itself (as <c>nc -u -l</c> does), rather than through a
/// server: it binds by the same rules as every SockCat listener, so its errors read the same.
/// </summary>
public static class DatagramListener
{
    /// <summary>
    /// Binds a datagram socket on <paramref name="url"/> (udp://). With <paramref name="addressFamily"/> given, only
    /// addresses of that family are used, as <see cref="StreamListener.Start"/> does.
    /// </summary>
    /// <returns>The bound socket (the caller owns it) and the endpoint bound, with the port the system chose for port 0.</returns>
    /// <exception cref="ServerListenException">The endpoint cannot be bound; the message is one line for a user.</exception>
    public static (Socket Socket, EndpointUrl Bound) Bind(EndpointUrl url, AddressFamily addressFamily = AddressFamily.Unspecified)
    {
        ArgumentNullException.ThrowIfNull(url);
        if (url.Scheme != EndpointScheme.Udp)
        {
            throw new ServerListenException(url, $"{url}: a datagram listener takes udp:// endpoints");
        }

        var socket = ListenSockets.CreateBound(url, ListenSockets.Resolve(url, addressFamily), ipv6Only: addressFamily == AddressFamily.InterNetworkV6, SocketType.Dgram);
        return (socket, ListenSockets.BoundUrl(url, socket.LocalEndPoint));
    }
}
