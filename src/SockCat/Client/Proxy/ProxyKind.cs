namespace SockCat.Client.Proxy;

/// <summary>The protocol a proxy speaks (<see cref="ProxyUrl.Kind"/>).</summary>
public enum ProxyKind
{
    /// <summary>SOCKS5 (RFC 1928), with user name and password (RFC 1929) when the URL has them; the proxy resolves host names (socks5:// and socks5h://).</summary>
    Socks5,

    /// <summary>SOCKS4a: IPv4 addresses and host names the proxy resolves; a user name is sent as the user ID (socks4a://).</summary>
    Socks4a,

    /// <summary>An HTTP proxy's CONNECT method (RFC 9110), with Basic authentication when the URL has a user name (http://).</summary>
    Http,
}
