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

    private static string Plain(IPAddress address) => (address.IsIPv4MappedToIPv6 ? address.MapToIPv4() : address).ToString();
}
