using System.Net;
using System.Net.Sockets;
using SockCat.Endpoints;
using SockCat.Internal.Interop;

namespace SockCat.Server;

/// <summary>
/// Creates bound, listening sockets with System.Net.Sockets (its Bind and Listen give the operating system's error,
/// which <see cref="ServerListenException.From"/> turns into a line a user can act on), and looks after unix socket
/// files: a stale one (nothing answers on it) is removed before binding.
/// </summary>
internal static class ListenSockets
{
    /// <summary>
    /// The address to bind: the URL's IP address, or its host name's first IPv4 address (else its first); with
    /// <paramref name="family"/> given, only an address of that family (as nc -4 / -6).
    /// </summary>
    public static EndPoint Resolve(EndpointUrl url, AddressFamily family = AddressFamily.Unspecified)
    {
        if (url.ToEndPoint() is { } endPoint)
        {
            if (family != AddressFamily.Unspecified && endPoint is IPEndPoint ip && ip.AddressFamily != family)
            {
                throw new ServerListenException(url, $"{url}: {url.Host} is an {Version(ip.AddressFamily)} address, and only {Version(family)} was asked for; give an {Version(family)} address");
            }

            return endPoint;
        }

        IPAddress[] addresses;
        try
        {
            addresses = Dns.GetHostAddresses(url.Host);
        }
        catch (SocketException e)
        {
            throw new ServerListenException(url, $"{url}: cannot resolve '{url.Host}' ({e.SocketErrorCode}); listen on an IP address such as 127.0.0.1 or 0.0.0.0", e.SocketErrorCode, e);
        }

        if (family != AddressFamily.Unspecified)
        {
            return new IPEndPoint(
                addresses.FirstOrDefault(a => a.AddressFamily == family)
                    ?? throw new ServerListenException(url, $"{url}: '{url.Host}' has no {Version(family)} address, only {string.Join(", ", addresses.Select(a => a.ToString()))}; give an {Version(family)} address"),
                url.Port);
        }

        var address = addresses.FirstOrDefault(a => a.AddressFamily == AddressFamily.InterNetwork) ?? addresses.FirstOrDefault()
            ?? throw new ServerListenException(url, $"{url}: '{url.Host}' has no address; listen on an IP address such as 127.0.0.1");
        return new IPEndPoint(address, url.Port);
    }

    private static string Version(AddressFamily family) => family == AddressFamily.InterNetworkV6 ? "IPv6" : "IPv4";

    /// <summary>Creates, binds and listens; the socket is non-blocking.</summary>
    public static Socket Listen(EndpointUrl url, EndPoint endPoint, int backlog)
    {
        var socket = CreateBound(url, endPoint);
        try
        {
            socket.Listen(backlog);
            socket.Blocking = false;
            return socket;
        }
        catch (SocketException e)
        {
            socket.Dispose();
            throw ServerListenException.From(url, e);
        }
    }

    /// <summary>Creates and binds; tcp://[::] serves IPv4 too unless <paramref name="ipv6Only"/> (nc -6).</summary>
    public static Socket CreateBound(EndpointUrl url, EndPoint endPoint, bool ipv6Only = false, SocketType socketType = SocketType.Stream)
    {
        Socket socket;
        if (endPoint is UnixDomainSocketEndPoint)
        {
            RemoveStaleUnixSocket(url);
            socket = new Socket(AddressFamily.Unix, SocketType.Stream, ProtocolType.Unspecified);
        }
        else
        {
            socket = new Socket(endPoint.AddressFamily, socketType, socketType == SocketType.Dgram ? ProtocolType.Udp : ProtocolType.Tcp);
            if (endPoint is IPEndPoint { Address: var a } && a.Equals(IPAddress.IPv6Any))
            {
                // tcp://[::]:port serves IPv4 too, as most servers do.
                socket.DualMode = !ipv6Only;
            }
        }

        try
        {
            socket.Bind(endPoint);
            return socket;
        }
        catch (SocketException e)
        {
            socket.Dispose();
            throw ServerListenException.From(url, e);
        }
    }

    /// <summary>The URL with the port the system chose for port 0.</summary>
    public static EndpointUrl BoundUrl(EndpointUrl url, EndPoint? local) =>
        url.Port == 0 && local is IPEndPoint ip ? url.WithPort(ip.Port) : url;

    /// <summary>
    /// The one policy for a path a unix listener is asked to bind, for serve and listen alike: nothing there, bind; a
    /// socket nothing answers on (left by a server that died), remove it and bind; a socket that answers, refuse (in use);
    /// anything else (a regular file, a directory), refuse and leave it untouched: it may be someone's data.
    /// </summary>
    private static void RemoveStaleUnixSocket(EndpointUrl url)
    {
        var path = url.Path;
        var kind = FileKind(path);
        if (kind is null)
        {
            return;
        }

        if (kind != SocketKind)
        {
            throw new ServerListenException(url, $"{url}: {path} is {kind}, not a socket, and is left untouched; pick another path");
        }

        using var probe = new Socket(AddressFamily.Unix, SocketType.Stream, ProtocolType.Unspecified);
        try
        {
            probe.Connect(new UnixDomainSocketEndPoint(path));
        }
        catch (SocketException)
        {
            // Nothing answers: a server before us died without removing its socket file.
            File.Delete(path);
            return;
        }

        throw new ServerListenException(url, $"{url} is already in use; stop the other server or pick another path", SocketError.AddressAlreadyInUse);
    }

    private const string SocketKind = "a socket";

    /// <summary>What is at <paramref name="path"/> (the link itself, not its target), in words; null when nothing is.</summary>
    private static unsafe string? FileKind(string path)
    {
        if (!LinuxSockets.IsSupported)
        {
            // No portable file-type query in .NET (where lstat's layout is not declared): a file is taken for a socket, and the probe decides.
            return Directory.Exists(path) ? "a directory" : File.Exists(path) ? SocketKind : null;
        }

        var stat = stackalloc byte[LinuxSockets.StatSize];
        if (LinuxSockets.Lstat(path, stat) != 0)
        {
            // ENOENT, or a path we may not look at: bind says which.
            return null;
        }

        return (*(uint*)(stat + LinuxSockets.StatModeOffset) & LinuxSockets.S_IFMT) switch
        {
            LinuxSockets.S_IFSOCK => SocketKind,
            0x8000 => "a regular file",
            0x4000 => "a directory",
            0xA000 => "a symbolic link",
            0x1000 => "a named pipe",
            _ => "a device file",
        };
    }
}
