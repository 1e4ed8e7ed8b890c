using System.Net;

namespace SockCat.Services.Exec;

/// <summary>
/// A child's environment: the allow-listed variables of the server's own, and the CGI-style ones websocketd sets
/// (REMOTE_ADDR, SERVER_PORT, ...), so that a program written for websocketd reads its client the same way. Nothing
/// else of the server's environment (its tokens, its cloud keys) reaches the child.
/// </summary>
internal static class ExecEnvironment
{
    public static Dictionary<string, string> Build(ExecOptions options, EndPoint? remote, EndPoint? local, string protocol, IEnumerable<KeyValuePair<string, string>>? extra = null)
    {
        var environment = new Dictionary<string, string>(StringComparer.Ordinal);
        foreach (var name in ExecOptions.DefaultEnvironment.Concat(options.PassEnvironment))
        {
            if (Environment.GetEnvironmentVariable(name) is { } value)
            {
                environment[name] = value;
            }
        }

        if (remote is IPEndPoint r)
        {
            var address = Plain(r.Address);
            environment["REMOTE_ADDR"] = address;
            environment["REMOTE_HOST"] = address;
            environment["REMOTE_PORT"] = r.Port.ToString(System.Globalization.CultureInfo.InvariantCulture);
        }

        if (local is IPEndPoint l)
        {
            environment["SERVER_NAME"] = Plain(l.Address);
            environment["SERVER_PORT"] = l.Port.ToString(System.Globalization.CultureInfo.InvariantCulture);
        }

        environment["SERVER_PROTOCOL"] = protocol;
        environment["SERVER_SOFTWARE"] = "sockcat";
        environment["GATEWAY_INTERFACE"] = "websocketd-CGI/0.1";
        foreach (var (name, value) in extra ?? [])
        {
            environment[name] = value;
        }

        return environment;
    }

    /// <summary>The variables websocketd sets for a web client: the CGI ones from the request, and its headers as HTTP_*.</summary>
    public static Dictionary<string, string> ForRequest(ExecOptions options, Microsoft.AspNetCore.Http.HttpContext context)
    {
        var connection = context.Connection;
        var request = context.Request;
        var extra = new Dictionary<string, string>(StringComparer.Ordinal)
        {
            ["REQUEST_METHOD"] = request.Method,
            ["SCRIPT_NAME"] = request.Path.Value ?? "/",
            ["PATH_INFO"] = "",
            ["QUERY_STRING"] = request.QueryString.HasValue ? request.QueryString.Value![1..] : "",
            ["REQUEST_URI"] = $"{request.Path}{request.QueryString}",
        };
        if (request.IsHttps)
        {
            extra["HTTPS"] = "on";
        }

        foreach (var (name, value) in request.Headers)
        {
            // The credentials a browser sends are the client's, not the program's business.
            if (name.Equals("Authorization", StringComparison.OrdinalIgnoreCase) || name.Equals("Cookie", StringComparison.OrdinalIgnoreCase))
            {
                continue;
            }

            extra["HTTP_" + name.ToUpperInvariant().Replace('-', '_')] = value.ToString();
        }

        var remote = connection.RemoteIpAddress is { } r ? new IPEndPoint(r, connection.RemotePort) : null;
        var local = connection.LocalIpAddress is { } l ? new IPEndPoint(l, connection.LocalPort) : null;
        return Build(options, remote, local, request.Protocol, extra);
    }

    private static string Plain(IPAddress address) => (address.IsIPv4MappedToIPv6 ? address.MapToIPv4() : address).ToString();
}
