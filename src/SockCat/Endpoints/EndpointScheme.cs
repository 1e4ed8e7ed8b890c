namespace SockCat.Endpoints;

/// <summary>The transport an <see cref="EndpointUrl"/> names, taken from its scheme.</summary>
public enum EndpointScheme
{
    /// <summary><c>tcp://host:port</c>, or a bare <c>host:port</c>.</summary>
    Tcp,

    /// <summary><c>udp://host:port</c>: datagrams.</summary>
    Udp,

    /// <summary><c>unix:///path/to.sock</c>: a Unix domain stream socket.</summary>
    Unix,

    /// <summary><c>tls://host:port</c> (or <c>ssl://host:port</c>): TCP with TLS on top.</summary>
    Tls,

    /// <summary><c>ws://host:port/path</c>: a browser-facing WebSocket listener.</summary>
    WebSocket,

    /// <summary><c>http://host:port/path</c>: a browser-facing HTTP listener (pages, Server-Sent Events).</summary>
    Http,

    /// <summary><c>wss://host:port/path</c>: a WebSocket listener with TLS.</summary>
    WebSocketSecure,

    /// <summary><c>https://host:port/path</c>: an HTTP listener with TLS.</summary>
    Https,
}
