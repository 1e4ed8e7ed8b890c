using Microsoft.AspNetCore.Http;

namespace SockCat.Web;

/// <summary>
/// Which pages may open a WebSocket here: the listener's own origin, those listed, or any with <c>*</c>. Browsers send
/// <c>Origin</c> on every WebSocket upgrade and cannot be made to lie about it, which is what makes the check worth
/// having; a client that is not a browser sends none and is let through (it could send any value it liked).
/// </summary>
internal sealed class OriginPolicy
{
    private readonly HashSet<string> _allowed = new(StringComparer.OrdinalIgnoreCase);
    private readonly bool _any;

    public OriginPolicy(IEnumerable<string> allowed)
    {
        foreach (var origin in allowed)
        {
            if (origin.Trim() == "*")
            {
                _any = true;
            }
            else if (Normalize(origin) is { } normalized)
            {
                _allowed.Add(normalized);
            }
            else
            {
                throw new ArgumentException($"'{origin}' is not an origin; write scheme://host[:port], e.g. https://example.com", nameof(allowed));
            }
        }
    }

    /// <summary>True when the request may be upgraded; <paramref name="origin"/> is the header's value when there is one.</summary>
    public bool Allows(HttpRequest request, out string? origin)
    {
        origin = request.Headers.Origin.Count > 0 ? request.Headers.Origin.ToString() : null;
        if (origin is null || _any)
        {
            return true;
        }

        var normalized = Normalize(origin);
        if (normalized is null)
        {
            // "null" (a sandboxed frame, a file:// page) or garbage: no origin to compare, so not the same one.
            return false;
        }

        return _allowed.Contains(normalized) || normalized == Normalize($"{request.Scheme}://{request.Host.Value}");
    }

    /// <summary><c>scheme://host:port</c> in lower case with the default port written out; null if not an origin.</summary>
    internal static string? Normalize(string origin)
    {
        if (!Uri.TryCreate(origin.Trim(), UriKind.Absolute, out var uri) || uri.Scheme is not ("http" or "https") ||
            uri.AbsolutePath is not ("/" or "") || uri.Query.Length > 0 || uri.UserInfo.Length > 0)
        {
            return null;
        }

        // IdnHost: the punycode form browsers send; an IPv6 literal keeps its brackets, as in the header.
        var host = uri.HostNameType == UriHostNameType.IPv6 ? uri.Host : uri.IdnHost;
        return $"{uri.Scheme}://{host.ToLowerInvariant()}:{uri.Port}";
    }
}
