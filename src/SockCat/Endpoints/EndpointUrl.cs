using System.Net;
using System.Net.Sockets;

namespace SockCat.Endpoints;

/// <summary>
/// A parsed endpoint URL, as PHP's stream functions take them: <c>tcp://host:port</c>, <c>udp://host:port</c>,
/// <c>unix:///path/to.sock</c>, <c>tls://host:port</c> (<c>ssl://</c> is the same), <c>ws://</c> and <c>http://</c>
/// for browser-facing listeners (<c>wss://</c> and <c>https://</c> with TLS), or a bare <c>host:port</c> for TCP. IPv6 addresses go in brackets
/// (<c>tcp://[::1]:4444</c>); port 0 asks the system for a free port.
/// </summary>
public sealed record EndpointUrl
{
    internal EndpointUrl(EndpointScheme scheme, string host, int port, string path)
    {
        Scheme = scheme;
        Host = host;
        Port = port;
        Path = path;
    }

    /// <summary>The transport.</summary>
    public EndpointScheme Scheme { get; }

    /// <summary>The host name or IP address literal, without brackets; empty for <see cref="EndpointScheme.Unix"/>.</summary>
    public string Host { get; }

    /// <summary>The port, 0 to 65535; 0 for <see cref="EndpointScheme.Unix"/>.</summary>
    public int Port { get; }

    /// <summary>
    /// For <see cref="EndpointScheme.Unix"/> the socket's file path; for the web schemes (<see cref="IsWeb"/>) the URL
    /// path (<c>/</c> when none is given); otherwise empty.
    /// </summary>
    public string Path { get; }

    /// <summary>True for the byte-stream transports: tcp, unix, tls (and ws/http, which run over TCP).</summary>
    public bool IsStream => Scheme != EndpointScheme.Udp;

    /// <summary>True for the browser-facing schemes, served over HTTP: ws, wss, http and https.</summary>
    public bool IsWeb => IsWebScheme(Scheme);

    /// <summary>True when the endpoint runs over TLS: tls, wss and https.</summary>
    public bool IsSecure => Scheme is EndpointScheme.Tls or EndpointScheme.WebSocketSecure or EndpointScheme.Https;

    /// <summary>True when <see cref="Host"/> is an IP literal rather than a name to resolve.</summary>
    public bool HostIsAddress => Scheme != EndpointScheme.Unix && IPAddress.TryParse(Host, out _);

    /// <summary>Parses <paramref name="text"/>.</summary>
    /// <exception cref="EndpointFormatException">The text is not a valid endpoint; the message says why, with an example.</exception>
    public static EndpointUrl Parse(string text) => EndpointUrlParser.Parse(text);

    /// <summary>Parses <paramref name="text"/>, returning false and a user-facing <paramref name="error"/> when it is not valid.</summary>
    public static bool TryParse(string? text, out EndpointUrl? url, out string? error)
    {
        try
        {
            url = EndpointUrlParser.Parse(text ?? "");
            error = null;
            return true;
        }
        catch (EndpointFormatException ex)
        {
            url = null;
            error = ex.Message;
            return false;
        }
    }

    /// <summary>
    /// The socket address when no name resolution is needed: an <see cref="IPEndPoint"/> for an IP literal,
    /// a <see cref="UnixDomainSocketEndPoint"/> for unix; null when <see cref="Host"/> is a name.
    /// </summary>
    public EndPoint? ToEndPoint()
    {
        if (Scheme == EndpointScheme.Unix)
        {
            return new UnixDomainSocketEndPoint(Path);
        }

        return IPAddress.TryParse(Host, out var address) ? new IPEndPoint(address, Port) : null;
    }

    /// <summary>The same endpoint with another port: how a listener on port 0 reports the port it was given.</summary>
    public EndpointUrl WithPort(int port) => new(Scheme, Host, port, Path);

    /// <summary>The canonical text: scheme, host (IPv6 in brackets), port and, where it belongs, the path.</summary>
    public override string ToString()
    {
        var scheme = SchemeName(Scheme);
        if (Scheme == EndpointScheme.Unix)
        {
            return $"{scheme}://{Path}";
        }

        var host = Host.Contains(':') ? $"[{Host}]" : Host;
        var path = IsWeb ? Path : "";
        return $"{scheme}://{host}:{Port}{path}";
    }

    /// <summary>The scheme's URL name: tcp, udp, unix, tls, ws, http, wss or https.</summary>
    public static string SchemeName(EndpointScheme scheme) => scheme switch
    {
        EndpointScheme.Tcp => "tcp",
        EndpointScheme.Udp => "udp",
        EndpointScheme.Unix => "unix",
        EndpointScheme.Tls => "tls",
        EndpointScheme.WebSocket => "ws",
        EndpointScheme.Http => "http",
        EndpointScheme.WebSocketSecure => "wss",
        EndpointScheme.Https => "https",
        _ => throw new ArgumentOutOfRangeException(nameof(scheme)),
    };

    internal static bool IsWebScheme(EndpointScheme scheme) =>
        scheme is EndpointScheme.WebSocket or EndpointScheme.Http or EndpointScheme.WebSocketSecure or EndpointScheme.Https;
}
