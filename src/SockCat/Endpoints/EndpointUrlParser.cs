using System.Globalization;
using System.Net;
using System.Net.Sockets;

namespace SockCat.Endpoints;

/// <summary>
/// Turns the text a user typed into an <see cref="EndpointUrl"/>. Every rejection names the problem in the
/// user's own text and shows a form that works, since the message goes straight to a terminal.
/// </summary>
internal static class EndpointUrlParser
{
    private const string Example = "tcp://127.0.0.1:4444";
    private const int MaxHostLength = 253;
    private const int MaxLabelLength = 63;

    public static EndpointUrl Parse(string text)
    {
        var input = text.Trim();
        if (input.Length == 0)
        {
            throw Fail(text, $"the endpoint is empty; give one like {Example}");
        }

        var schemeEnd = input.IndexOf("://", StringComparison.Ordinal);
        EndpointScheme scheme;
        string rest;
        if (schemeEnd < 0)
        {
            // PHP's fsockopen takes a bare host and a port; nc takes "host port". Here a bare host:port is tcp.
            scheme = EndpointScheme.Tcp;
            rest = input;
        }
        else
        {
            var name = input[..schemeEnd].ToLowerInvariant();
            scheme = KnownScheme(name) ?? throw Fail(text,
                $"unknown scheme '{input[..schemeEnd]}://' in '{input}'; use tcp://, udp://, unix://, tls:// (or ssl://), ws://, wss://, http:// or https://, e.g. {Example}");
            rest = input[(schemeEnd + 3)..];
        }

        if (scheme == EndpointScheme.Unix)
        {
            return ParseUnix(text, rest);
        }

        var path = "";
        var slash = rest.IndexOf('/');
        if (slash >= 0)
        {
            path = rest[slash..];
            rest = rest[..slash];
            if (!EndpointUrl.IsWebScheme(scheme))
            {
                throw Fail(text, $"a path ('{path}') does not belong in a {EndpointUrl.SchemeName(scheme)} endpoint; write {EndpointUrl.SchemeName(scheme)}://host:port, e.g. {ExampleFor(scheme)}");
            }
        }
        else if (EndpointUrl.IsWebScheme(scheme))
        {
            path = "/";
        }

        var (host, portText) = SplitHostPort(text, rest, scheme);
        if (host.Length == 0)
        {
            throw Fail(text, $"no host in '{input}'; name one, e.g. {ExampleFor(scheme)} (or 0.0.0.0 to listen on every interface)");
        }

        ValidateHost(text, host, scheme);

        int port;
        if (portText is null)
        {
            port = scheme switch
            {
                EndpointScheme.WebSocket or EndpointScheme.Http => 80,
                EndpointScheme.WebSocketSecure or EndpointScheme.Https => 443,
                _ => throw Fail(text, $"no port in '{input}'; add one, e.g. {EndpointUrl.SchemeName(scheme)}://{Bracket(host)}:4444"),
            };
        }
        else
        {
            port = ParsePort(text, portText, host, scheme);
        }

        return new EndpointUrl(scheme, host, port, path);
    }

    private static EndpointUrl ParseUnix(string text, string rest)
    {
        if (rest.Length == 0)
        {
            throw Fail(text, "no socket path in 'unix://'; give an absolute path, e.g. unix:///tmp/sockcat.sock");
        }

        if (rest[0] != '/')
        {
            throw Fail(text, $"the unix socket path '{rest}' is not absolute; write three slashes and the full path, e.g. unix:///{rest.TrimStart('.', '/')}");
        }

        // sun_path holds 108 bytes with the terminating NUL on Linux; a longer path fails at bind with a vaguer error.
        if (System.Text.Encoding.UTF8.GetByteCount(rest) > 107)
        {
            throw Fail(text, $"the unix socket path is {System.Text.Encoding.UTF8.GetByteCount(rest)} bytes, over the 107 the system allows; use a shorter one, e.g. unix:///tmp/sockcat.sock");
        }

        return new EndpointUrl(EndpointScheme.Unix, "", 0, rest);
    }

    private static (string Host, string? Port) SplitHostPort(string text, string authority, EndpointScheme scheme)
    {
        if (authority.StartsWith('['))
        {
            var close = authority.IndexOf(']');
            if (close < 0)
            {
                throw Fail(text, $"unclosed '[' in '{authority}'; write IPv6 addresses as {EndpointUrl.SchemeName(scheme)}://[::1]:4444");
            }

            var host = authority[1..close];
            var after = authority[(close + 1)..];
            if (after.Length == 0)
            {
                return (host, null);
            }

            if (after[0] != ':')
            {
                throw Fail(text, $"unexpected '{after}' after ']' in '{authority}'; write {EndpointUrl.SchemeName(scheme)}://[{host}]:4444");
            }

            if (!IPAddress.TryParse(host, out var v6) || v6.AddressFamily != AddressFamily.InterNetworkV6)
            {
                throw Fail(text, $"'{host}' in brackets is not an IPv6 address; e.g. {EndpointUrl.SchemeName(scheme)}://[::1]:4444");
            }

            return (host, after[1..]);
        }

        var colon = authority.LastIndexOf(':');
        if (colon < 0)
        {
            return (authority, null);
        }

        if (authority.IndexOf(':') != colon)
        {
            throw Fail(text, $"'{authority}' has several ':'; put an IPv6 address in brackets, e.g. {EndpointUrl.SchemeName(scheme)}://[::1]:4444");
        }

        return (authority[..colon], authority[(colon + 1)..]);
    }

    private static int ParsePort(string text, string portText, string host, EndpointScheme scheme)
    {
        var correct = $"{EndpointUrl.SchemeName(scheme)}://{Bracket(host)}:4444";
        if (portText.Length == 0)
        {
            throw Fail(text, $"no port after ':' in '{text.Trim()}'; add one, e.g. {correct}");
        }

        if (!portText.All(char.IsAsciiDigit))
        {
            throw Fail(text, $"the port '{portText}' is not a number; ports are 0 to 65535, e.g. {correct}");
        }

        if (!int.TryParse(portText, NumberStyles.None, CultureInfo.InvariantCulture, out var port) || port > 65535)
        {
            throw Fail(text, $"the port {portText} is over 65535; ports are 0 to 65535 (0 picks a free one), e.g. {correct}");
        }

        return port;
    }

    private static void ValidateHost(string text, string host, EndpointScheme scheme)
    {
        if (IPAddress.TryParse(host, out _))
        {
            return;
        }

        foreach (var c in host)
        {
            if (!(char.IsAsciiLetterOrDigit(c) || c is '-' or '.' or '_'))
            {
                throw Fail(text, $"'{host}' is not a host name or IP address (it has '{c}'); e.g. {ExampleFor(scheme)}");
            }
        }

        // DNS bounds a name at 253 characters and each dot-separated label at 63; past them the lookup fails with
        // .NET's own sentence ("The size of hostName is too long") or a vague "no such host".
        var name = host.TrimEnd('.');
        if (name.Length > MaxHostLength)
        {
            throw Fail(text, $"the host name '{Shorten(host)}' is {host.Length} characters long, over the {MaxHostLength} a host name may have; check it, or use an IP address");
        }

        if (name.Split('.').FirstOrDefault(label => label.Length > MaxLabelLength) is { } label)
        {
            throw Fail(text, $"the host name '{Shorten(host)}' has a {label.Length}-character part between dots, over the {MaxLabelLength} DNS allows; check it, or use an IP address");
        }
    }

    private static string Shorten(string host) => host.Length <= 40 ? host : $"{host[..20]}…{host[^12..]}";

    private static EndpointScheme? KnownScheme(string name) => name switch
    {
        "tcp" => EndpointScheme.Tcp,
        "udp" => EndpointScheme.Udp,
        "unix" => EndpointScheme.Unix,
        "tls" or "ssl" => EndpointScheme.Tls,
        "ws" => EndpointScheme.WebSocket,
        "http" => EndpointScheme.Http,
        "wss" => EndpointScheme.WebSocketSecure,
        "https" => EndpointScheme.Https,
        _ => null,
    };

    private static string ExampleFor(EndpointScheme scheme) => $"{EndpointUrl.SchemeName(scheme)}://127.0.0.1:4444";

    private static string Bracket(string host) => host.Contains(':') ? $"[{host}]" : host;

    private static EndpointFormatException Fail(string input, string message) => new(input, message);
}
