using System.Buffers;
using System.Globalization;
using System.Text;
using SockCat.Endpoints;

namespace SockCat.Client.Proxy;

/// <summary>
/// An HTTP proxy's CONNECT (RFC 9110, 9.3.6), with Basic authentication (RFC 7617) when the proxy URL has a user name. Any
/// 2xx opens the tunnel; 407, 403 and 5xx are told apart in words.
/// </summary>
internal sealed class HttpConnectNegotiator(ProxyUrl proxy, EndpointUrl target) : ProxyNegotiator(proxy, target)
{
    /// <summary>The longest answer header taken: a proxy that sends more is not answering CONNECT.</summary>
    private const int MaxHeader = 16 * 1024;

    private readonly List<byte> _header = new(256);

    protected override string ClosedDuring => _header.Count == 0
        ? $"before answering CONNECT {TargetName}"
        : $"in the middle of its answer to CONNECT {TargetName}";

    protected override string ClosedHint => "is it an HTTP proxy? check the proxy URL's scheme and port, or the proxy's log";

    protected override void OnStart(IBufferWriter<byte> output)
    {
        var request = new StringBuilder()
            .Append(CultureInfo.InvariantCulture, $"CONNECT {TargetName} HTTP/1.1\r\n")
            .Append(CultureInfo.InvariantCulture, $"Host: {TargetName}\r\n");
        if (Proxy.UserName is { } user)
        {
            var credentials = Convert.ToBase64String(Encoding.UTF8.GetBytes($"{user}:{Proxy.Password}"));
            request.Append(CultureInfo.InvariantCulture, $"Proxy-Authorization: Basic {credentials}\r\n");
        }

        request.Append("\r\n");
        output.Write(Encoding.ASCII.GetBytes(request.ToString()));
        Wanted = 2;
    }

    protected override void OnReceive(ReadOnlySpan<byte> input, IBufferWriter<byte> output)
    {
        foreach (var b in input)
        {
            _header.Add(b);
        }

        // The first bytes tell an HTTP proxy from anything else before a whole header has to arrive.
        var have = Math.Min(_header.Count, 5);
        if (!"HTTP/"u8[..have].SequenceEqual(System.Runtime.InteropServices.CollectionsMarshal.AsSpan(_header)[..have]))
        {
            throw NotTheProtocol($"CONNECT {TargetName}", System.Runtime.InteropServices.CollectionsMarshal.AsSpan(_header));
        }

        if (EndsHeader())
        {
            OnHeader(Encoding.Latin1.GetString(System.Runtime.InteropServices.CollectionsMarshal.AsSpan(_header)));
            return;
        }

        if (_header.Count >= MaxHeader)
        {
            throw Fail(ConnectFailure.ProxyProtocol, 0, "PROXY_PROTOCOL",
                $"{ProxyName} answered CONNECT {TargetName} with a header over {MaxHeader / 1024} KiB",
                "is it an HTTP proxy? check the proxy URL's scheme and port");
        }

        // The shortest end still possible: after a CR or LF one byte may end the header (LF, as some servers end lines
        // with LF alone); after anything else two (LF LF). Never more, so no byte of the target's is read here.
        Wanted = _header[^1] is (byte)'\n' or (byte)'\r' ? 1 : 2;
    }

    private bool EndsHeader()
    {
        var n = _header.Count;
        return n >= 2 && _header[n - 1] == '\n' && (_header[n - 2] == '\n' || (n >= 3 && _header[n - 2] == '\r' && _header[n - 3] == '\n'));
    }

    private void OnHeader(string header)
    {
        var lines = header.Split('\n', StringSplitOptions.TrimEntries);
        var status = lines[0];
        var parts = status.Split(' ', 3, StringSplitOptions.RemoveEmptyEntries);
        if (parts.Length < 2 || !parts[0].StartsWith("HTTP/1.", StringComparison.Ordinal)
            || !int.TryParse(parts[1], NumberStyles.None, CultureInfo.InvariantCulture, out var code) || code is < 100 or > 599)
        {
            throw NotTheProtocol($"CONNECT {TargetName}", Encoding.Latin1.GetBytes(status));
        }

        if (code is >= 200 and < 300)
        {
            Wanted = 0;
            return;
        }

        var reason = parts.Length > 2 ? parts[2] : "";
        var shown = reason.Length > 0 ? $"{code} {reason}" : code.ToString(CultureInfo.InvariantCulture);
        var name = $"HTTP_{code}";
        throw code switch
        {
            407 when Proxy.UserName is null => Fail(ConnectFailure.ProxyAuthentication, code, name,
                $"{ProxyName} requires a user name and password ({shown}{Asks(lines)})",
                "give them in the proxy URL: http://user:password@host:port"),
            407 => Fail(ConnectFailure.ProxyAuthentication, code, name,
                $"{ProxyName} refused the user name '{Proxy.UserName}' and its password ({shown}{Asks(lines)})",
                "check the user name and password in the proxy URL"),
            403 => Fail(ConnectFailure.ProxyTarget, code, name,
                $"{ProxyName} will not connect to {TargetName} ({shown})",
                "the proxy's rules forbid this target or port (tinyproxy: ConnectPort; squid: SSL_ports)"),
            502 or 503 => Fail(ConnectFailure.ProxyTarget, code, name,
                $"{ProxyName} could not connect to {TargetName} ({shown})",
                "is a server listening there, as the proxy sees it?"),
            504 => Fail(ConnectFailure.ProxyTarget, code, name,
                $"{ProxyName} could not connect to {TargetName}: it timed out ({shown})",
                "is the host up, and does the proxy reach it?"),
            >= 500 => Fail(ConnectFailure.ProxyTarget, code, name,
                $"{ProxyName} could not connect to {TargetName} ({shown})",
                "is a server listening there, as the proxy sees it? the proxy's log says more"),
            _ => Fail(ConnectFailure.ProxyTarget, code, name,
                $"{ProxyName} refused CONNECT {TargetName} ({shown})",
                "check the target and the proxy's rules"),
        };
    }

    /// <summary>The scheme a 407 asks for, when it is not Basic, the one sockcat speaks.</summary>
    private static string Asks(string[] lines)
    {
        foreach (var line in lines)
        {
            if (line.StartsWith("Proxy-Authenticate:", StringComparison.OrdinalIgnoreCase))
            {
                var scheme = line["Proxy-Authenticate:".Length..].Trim().Split(' ')[0];
                return scheme.Equals("Basic", StringComparison.OrdinalIgnoreCase) ? "" : $"; it asks for {scheme}, and sockcat speaks Basic";
            }
        }

        return "";
    }
}
