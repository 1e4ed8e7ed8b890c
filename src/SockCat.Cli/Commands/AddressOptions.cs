using System.CommandLine;
using System.Globalization;
using System.Net;
using System.Net.Sockets;
using SockCat.Endpoints;

namespace SockCat.Cli.Commands;

/// <summary>
/// What `connect` and `listen` take from nc's way of naming addresses: -4 and -6, and HOST PORT as two arguments
/// beside the URL.
/// </summary>
internal sealed class AddressOptions
{
    public Option<bool> IPv4 { get; } = new("-4")
    {
        Description = "Use IPv4 addresses only (of a host name's addresses, as nc -4)",
    };

    public Option<bool> IPv6 { get; } = new("-6")
    {
        Description = "Use IPv6 addresses only (of a host name's addresses, as nc -6)",
    };

    /// <summary>nc's second word: `connect HOST PORT`, `listen [HOST] PORT`.</summary>
    public Argument<string?> Port { get; } = new("port")
    {
        Description = "With a host name or address as the first argument, the port (as nc takes them): HOST PORT means tcp://HOST:PORT",
        Arity = ArgumentArity.ZeroOrOne,
    };

    public AddressOptions()
    {
        // An unknown option after the URL would otherwise be taken for the port, and reported as a bad port.
        Port.Validators.Add(result =>
        {
            if (result.Tokens.Count == 1 && result.Tokens[0].Value.StartsWith('-'))
            {
                result.AddError($"unknown option '{result.Tokens[0].Value}'");
            }
        });
    }

    public void AddTo(Command command)
    {
        command.Arguments.Add(Port);
        command.Options.Add(IPv4);
        command.Options.Add(IPv6);
    }

    public AddressFamily ReadFamily(ParseResult parseResult)
    {
        var v4 = parseResult.GetValue(IPv4);
        var v6 = parseResult.GetValue(IPv6);
        if (v4 && v6)
        {
            throw new CliException("-4 and -6 exclude each other; give one of them, or neither for both families", ExitCodes.Usage);
        }

        return v4 ? AddressFamily.InterNetwork : v6 ? AddressFamily.InterNetworkV6 : AddressFamily.Unspecified;
    }

    /// <summary>
    /// The endpoint from the URL argument and nc's optional PORT: `HOST PORT` is tcp://HOST:PORT; for listen a lone
    /// PORT is every address of <paramref name="family"/> (0.0.0.0, as `nc -l PORT` binds; [::] with -6).
    /// </summary>
    public EndpointUrl ReadUrl(ParseResult parseResult, string first, AddressFamily family, bool listen)
    {
        var port = parseResult.GetValue(Port);
        if (port is null)
        {
            if (listen && first.Length > 0 && first.All(char.IsAsciiDigit))
            {
                return EndpointUrl.Parse($"tcp://{(family == AddressFamily.InterNetworkV6 ? "[::]" : "0.0.0.0")}:{CheckPort(first)}");
            }

            var url = CommonOptions.ParseUrl(first);
            CheckFamily(url, family);
            return url;
        }

        var verb = listen ? "listen" : "connect";
        if (first.Contains("://", StringComparison.Ordinal) || (!first.Contains(':') && first.Contains('/')))
        {
            throw new CliException($"'{first}' is a URL, which names its own port; give the URL alone, or a host and a port as nc takes them: sockcat {verb} 127.0.0.1 {port}", ExitCodes.Usage);
        }

        var host = first.Trim('[', ']');
        var hostPort = CheckPort(port);
        var parsed = CommonOptions.ParseUrl(host.Contains(':') ? $"tcp://[{host}]:{hostPort}" : $"tcp://{host}:{hostPort}");
        CheckFamily(parsed, family);
        return parsed;
    }

    /// <summary>A literal address of the other family is a usage error here, where it can name the option.</summary>
    public static void CheckFamily(EndpointUrl url, AddressFamily family)
    {
        if (family == AddressFamily.Unspecified || url.Scheme == EndpointScheme.Unix)
        {
            return;
        }

        if (IPAddress.TryParse(url.Host, out var address) && address.AddressFamily != family)
        {
            var (flag, wanted, other) = family == AddressFamily.InterNetwork ? ("-4", "IPv4", "IPv6") : ("-6", "IPv6", "IPv4");
            throw new CliException($"{flag} uses {wanted} addresses only, and {url.Host} is an {other} address; drop {flag}, or give an {wanted} address or a host name", ExitCodes.Usage);
        }
    }

    private static int CheckPort(string text)
    {
        if (int.TryParse(text, NumberStyles.None, CultureInfo.InvariantCulture, out var port) && port <= 65535)
        {
            return port;
        }

        throw new CliException($"'{text}' is not a port; give a number from 1 to 65535 (0 to let the system pick one when listening)", ExitCodes.Usage);
    }
}
