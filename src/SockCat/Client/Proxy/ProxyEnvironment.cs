using System.Net;
using SockCat.Endpoints;

namespace SockCat.Client.Proxy;

/// <summary>
/// The proxy environment variables as curl reads them: which ones name the proxy for a target, and whether NO_PROXY
/// exempts it. Pure: the caller reads the variables.
/// </summary>
public static class ProxyEnvironment
{
    /// <summary>
    /// The variables that may name the proxy for <paramref name="target"/>, the first set one wins: tls:// and wss:// read
    /// <c>https_proxy</c>, <c>HTTPS_PROXY</c>, then <c>all_proxy</c>, <c>ALL_PROXY</c>; ws:// reads <c>http_proxy</c>
    /// (lower case only, as curl: <c>HTTP_PROXY</c> is what a CGI request's Proxy: header becomes) then the two all_proxy;
    /// tcp:// reads the two all_proxy. unix:// and udp:// read none: a proxy carries TCP.
    /// </summary>
    public static IReadOnlyList<string> VariablesFor(EndpointUrl target)
    {
        ArgumentNullException.ThrowIfNull(target);
        return target.Scheme switch
        {
            EndpointScheme.Tls or EndpointScheme.WebSocketSecure or EndpointScheme.Https => ["https_proxy", "HTTPS_PROXY", "all_proxy", "ALL_PROXY"],
            EndpointScheme.WebSocket or EndpointScheme.Http => ["http_proxy", "all_proxy", "ALL_PROXY"],
            EndpointScheme.Tcp => ["all_proxy", "ALL_PROXY"],
            _ => [],
        };
    }

    /// <summary>The variables that list hosts to reach directly: <c>no_proxy</c>, then <c>NO_PROXY</c>.</summary>
    public static IReadOnlyList<string> NoProxyVariables { get; } = ["no_proxy", "NO_PROXY"];

    /// <summary>
    /// Whether <paramref name="host"/> is in <paramref name="noProxy"/>, a NO_PROXY list as curl reads it: names and
    /// addresses separated by commas; <c>*</c> alone matches every host; a name matches itself and its subdomains
    /// (<c>example.com</c> and <c>.example.com</c> both match <c>www.example.com</c>); an address matches itself, and
    /// <c>10.0.0.0/8</c> or <c>fd00::/8</c> a range of them. Loopback is not exempt unless listed (<c>localhost,127.0.0.1,::1</c>),
    /// as with curl. The host is compared as written, never resolved.
    /// </summary>
    public static bool IsExempt(string host, string? noProxy)
    {
        ArgumentNullException.ThrowIfNull(host);
        if (string.IsNullOrWhiteSpace(noProxy))
        {
            return false;
        }

        host = host.Trim('[', ']').TrimEnd('.').ToLowerInvariant();
        IPAddress.TryParse(host, out var address);
        foreach (var raw in noProxy.Split([',', ' ', '\t'], StringSplitOptions.RemoveEmptyEntries))
        {
            var entry = raw.ToLowerInvariant();
            if (entry == "*")
            {
                return true;
            }

            var slash = entry.IndexOf('/', StringComparison.Ordinal);
            if (slash >= 0)
            {
                if (address is not null && IPNetwork.TryParse(entry, out var network) && network.Contains(address))
                {
                    return true;
                }

                continue;
            }

            entry = entry.Trim('[', ']');
            if (address is not null)
            {
                if (IPAddress.TryParse(entry, out var listed) && listed.Equals(address))
                {
                    return true;
                }

                continue;
            }

            entry = entry.StartsWith("*.", StringComparison.Ordinal) ? entry[2..] : entry.TrimStart('.');
            entry = entry.TrimEnd('.');
            if (entry.Length > 0 && (host == entry || host.EndsWith("." + entry, StringComparison.Ordinal)))
            {
                return true;
            }
        }

        return false;
    }
}
