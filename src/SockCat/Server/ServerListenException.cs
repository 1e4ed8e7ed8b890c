using System.Net.Sockets;
using SockCat.Endpoints;

namespace SockCat.Server;

/// <summary>
/// A listener could not start: the address is in use, the port is privileged, the address is not this machine's,
/// the endpoint is not one a server can listen on. The message is one line for a user, naming the endpoint and
/// what to do.
/// </summary>
public sealed class ServerListenException : IOException
{
    /// <summary>Creates the exception for <paramref name="endpoint"/>.</summary>
    public ServerListenException(EndpointUrl endpoint, string message, SocketError? socketError = null, Exception? inner = null)
        : base(message, inner)
    {
        Endpoint = endpoint;
        SocketError = socketError;
    }

    /// <summary>The endpoint that could not be listened on.</summary>
    public EndpointUrl Endpoint { get; }

    /// <summary>The operating system's error, when there was one.</summary>
    public SocketError? SocketError { get; }

    /// <summary>
    /// The exception for a bind or listen on <paramref name="url"/> that failed with <paramref name="e"/>, its message
    /// saying what the error means there and what to do (another port, another path, a port above 1023).
    /// </summary>
    public static ServerListenException From(EndpointUrl url, SocketException e)
    {
        var isUnix = url.Scheme == EndpointScheme.Unix;
        var message = e.SocketErrorCode switch
        {
            System.Net.Sockets.SocketError.AddressAlreadyInUse => isUnix
                ? $"{url} is already in use; stop the other server or pick another path"
                : $"{url} is already in use; stop the other server or pick another port",
            System.Net.Sockets.SocketError.AccessDenied when isUnix =>
                $"{url}: permission denied; pick a path in a directory you can write to",
            System.Net.Sockets.SocketError.AccessDenied =>
                $"{url}: permission denied: ports below 1024 need root or CAP_NET_BIND_SERVICE; pick a port above 1023",
            // bind(2) says ENOENT, which .NET names AddressNotAvailable, when the socket file's directory is missing.
            System.Net.Sockets.SocketError.AddressNotAvailable when isUnix =>
                $"{url}: the directory {Path.GetDirectoryName(url.Path)} does not exist; create it or pick another path",
            System.Net.Sockets.SocketError.AddressNotAvailable =>
                $"{url}: {url.Host} is not an address of this machine; listen on 127.0.0.1, 0.0.0.0 or one of its addresses",
            _ => $"{url}: cannot listen: {e.Message} ({e.SocketErrorCode}); check the address",
        };
        return new ServerListenException(url, message, e.SocketErrorCode, e);
    }
}
