using System.Globalization;
using System.Net;
using System.Net.Sockets;

namespace SockCat.Client.Proxy;

/// <summary>
/// A proxy to connect through, as curl and ncat users write it: <c>socks5://[user:pass@]host[:port]</c>,
/// <c>socks4a://host[:port]</c> or <c>http://[user:pass@]host[:port]</c>. Without a scheme it is an HTTP proxy, and
/// without a port port 1080, as curl takes them. The user name and password are percent-decoded.
/// </summary>
public sealed class ProxyUrl
{
    /// <summary>The port a proxy URL without one means: 1080, as curl assumes for every kind of proxy.</summary>
    public const int DefaultPort = 1080;

    /// <summary>Creates a proxy address; <paramref name="host"/> is a name or an IP address (IPv6 without brackets).</summary>
    /// <exception cref="ArgumentException">The host is empty, the port is not 1 to 65535, or a password comes without a user name.</exception>
    public ProxyUrl(ProxyKind kind, string host, int port = DefaultPort, string? userName = null, string? password = null)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(host);
        ArgumentOutOfRangeException.ThrowIfLessThan(port, 1);
        ArgumentOutOfRangeException.ThrowIfGreaterThan(port, 65535);
        if (password is not null && userName is null)
        {
            throw new ArgumentException("a proxy password needs a user name", nameof(password));
        }

        Kind = kind;
        Host = host;
        Port = port;
        UserName = userName;
        Password = password;
    }

    /// <summary>The protocol the proxy speaks.</summary>
    public ProxyKind Kind { get; }

    /// <summary>The proxy's host name or IP address (IPv6 without brackets).</summary>
    public string Host { get; }

    /// <summary>The proxy's port.</summary>
    public int Port { get; }

    /// <summary>The user name to log in with (SOCKS5, HTTP Basic), or the SOCKS4a user ID; null for none.</summary>
    public string? UserName { get; }

    /// <summary>The password; null for none. Never shown by <see cref="ToString"/>.</summary>
    public string? Password { get; }

    /// <summary>The protocol's name for messages: SOCKS5, SOCKS4a or HTTP.</summary>
    public string KindName => Kind switch
    {
        ProxyKind.Socks5 => "SOCKS5",
        ProxyKind.Socks4a => "SOCKS4a",
        _ => "HTTP",
    };

    /// <summary>Parses a proxy URL.</summary>
    /// <exception cref="FormatException">The text is not a proxy URL; the message says what is wrong and shows a correct one.</exception>
    public static ProxyUrl Parse(string text) =>
        TryParse(text, out var url, out var error) ? url! : throw new FormatException(error);

    /// <summary>Parses a proxy URL; on failure <paramref name="error"/> is one line that says what is wrong and shows a correct one.</summary>
    public static bool TryParse(string? text, out ProxyUrl? url, out string? error)
    {
        url = null;
        error = null;
        text = text?.Trim() ?? "";
        const string Example = "give it as socks5://[user:pass@]host:port, socks4a://host:port or http://[user:pass@]host:port";
        if (text.Length == 0)
        {
            error = $"no proxy given; {Example}";
            return false;
        }

        var rest = text;
        var kind = ProxyKind.Http;
        var schemeEnd = text.IndexOf("://", StringComparison.Ordinal);
        if (schemeEnd >= 0)
        {
            var scheme = text[..schemeEnd].ToLowerInvariant();
            rest = text[(schemeEnd + 3)..];
            switch (scheme)
            {
                case "socks5" or "socks5h":
                    kind = ProxyKind.Socks5;
                    break;
                case "socks4a":
                    kind = ProxyKind.Socks4a;
                    break;
                case "http":
                    kind = ProxyKind.Http;
                    break;
                case "socks4":
                    error = $"proxy '{Hide(text)}': socks4:// makes the client resolve names, and sockcat leaves that to the proxy; use socks4a:// or socks5://";
                    return false;
                case "https":
                    error = $"proxy '{Hide(text)}': a proxy reached over TLS (https://) is not supported; use http:// (the tunnel can still carry tls://)";
                    return false;
                default:
                    error = $"proxy '{Hide(text)}' has the scheme '{scheme}', which is not a proxy's; {Example}";
                    return false;
            }
        }

        var slash = rest.IndexOf('/', StringComparison.Ordinal);
        if (slash >= 0)
        {
            if (rest[slash..] != "/")
            {
                error = $"proxy '{Hide(text)}' has a path ({rest[slash..]}), which a proxy URL does not take; {Example}";
                return false;
            }

            rest = rest[..slash];
        }

        string? user = null, password = null;
        var at = rest.LastIndexOf('@');
        if (at >= 0)
        {
            var info = rest[..at];
            rest = rest[(at + 1)..];
            var colon = info.IndexOf(':', StringComparison.Ordinal);
            user = Uri.UnescapeDataString(colon < 0 ? info : info[..colon]);
            password = colon < 0 ? null : Uri.UnescapeDataString(info[(colon + 1)..]);
            if (user.Length == 0)
            {
                error = $"proxy '{Hide(text)}' has a password and no user name; {Example}";
                return false;
            }
        }

        string host;
        string? portText = null;
        if (rest.StartsWith('['))
        {
            var close = rest.IndexOf(']', StringComparison.Ordinal);
            if (close < 0 || !IPAddress.TryParse(rest[1..close], out var v6) || v6.AddressFamily != AddressFamily.InterNetworkV6)
            {
                error = $"proxy '{Hide(text)}' has a bad IPv6 address; write it in brackets, e.g. socks5://[::1]:1080";
                return false;
            }

            host = rest[1..close];
            var after = rest[(close + 1)..];
            if (after.Length > 0)
            {
                if (after[0] != ':')
                {
                    error = $"proxy '{Hide(text)}' has '{after}' after its address; {Example}";
                    return false;
                }

                portText = after[1..];
            }
        }
        else
        {
            var colon = rest.LastIndexOf(':');
            host = colon < 0 ? rest : rest[..colon];
            portText = colon < 0 ? null : rest[(colon + 1)..];
        }

        if (host.Length == 0)
        {
            error = $"proxy '{Hide(text)}' has no host; {Example}";
            return false;
        }

        var port = DefaultPort;
        if (portText is not null && !(int.TryParse(portText, NumberStyles.None, CultureInfo.InvariantCulture, out port) && port is >= 1 and <= 65535))
        {
            error = $"proxy '{Hide(text)}' has the port '{portText}'; give a number from 1 to 65535";
            return false;
        }

        url = new ProxyUrl(kind, host, port, user, password);
        return true;
    }

    /// <summary>The URL without its password: <c>socks5://user@127.0.0.1:1080</c>.</summary>
    public override string ToString()
    {
        var scheme = Kind switch { ProxyKind.Socks5 => "socks5", ProxyKind.Socks4a => "socks4a", _ => "http" };
        var user = UserName is null ? "" : Uri.EscapeDataString(UserName) + "@";
        return $"{scheme}://{user}{HostAndPort}";
    }

    /// <summary>host:port, with an IPv6 address in brackets.</summary>
    internal string HostAndPort => Host.Contains(':', StringComparison.Ordinal) ? $"[{Host}]:{Port}" : $"{Host}:{Port}";

    // A URL quoted back in an error keeps the password out of terminals and logs.
    private static string Hide(string text)
    {
        var schemeEnd = text.IndexOf("://", StringComparison.Ordinal);
        var start = schemeEnd < 0 ? 0 : schemeEnd + 3;
        var at = text.LastIndexOf('@');
        var colon = at > start ? text.IndexOf(':', start, at - start) : -1;
        return colon < 0 ? text : text[..(colon + 1)] + "***" + text[at..];
    }
}
