using System.CommandLine;
using SockCat.Client.Proxy;
using SockCat.Endpoints;

namespace SockCat.Cli.Commands;

/// <summary>
/// `--proxy URL` and `--no-proxy`, for every verb that connects out (connect, send, relay's TO, bench), and the proxy
/// environment variables as curl reads them: one place decides which proxy a target goes through, if any.
/// </summary>
internal sealed class ProxyOptions
{
    public Option<string?> Proxy { get; } = new("--proxy")
    {
        Description = "Connect through this proxy: socks5://[user:pass@]host:port, socks4a://host:port, or http://[user:pass@]host:port"
            + " (HTTP CONNECT); the proxy resolves host names [default: $ALL_PROXY, or $HTTPS_PROXY for tls:// and wss://]",
        HelpName = "url",
    };

    public Option<bool> NoProxy { get; } = new("--no-proxy")
    {
        Description = "Connect directly, ignoring ALL_PROXY, HTTPS_PROXY and the other proxy variables",
    };

    public void AddTo(Command command)
    {
        command.Options.Add(Proxy);
        command.Options.Add(NoProxy);
    }

    /// <summary>The proxy <paramref name="target"/> goes through, and where it was named ("--proxy", "ALL_PROXY"); null to connect directly.</summary>
    public ProxyChoice? Read(ParseResult parseResult, EndpointUrl target, Func<string, string?>? environment = null)
    {
        environment ??= Environment.GetEnvironmentVariable;
        var given = parseResult.GetValue(Proxy);
        if (parseResult.GetValue(NoProxy))
        {
            if (given is not null)
            {
                throw new CliException("--proxy and --no-proxy exclude each other; give one of them", ExitCodes.Usage);
            }

            return null;
        }

        var noProxy = First(environment, ProxyEnvironment.NoProxyVariables);
        if (given is not null)
        {
            if (target.Scheme is not (EndpointScheme.Tcp or EndpointScheme.Tls or EndpointScheme.WebSocket or EndpointScheme.WebSocketSecure))
            {
                throw new CliException($"--proxy carries tcp://, tls://, ws:// and wss:// connections, and {target} is not one; leave --proxy out", ExitCodes.Usage);
            }

            // As curl: NO_PROXY exempts a listed host from an explicit proxy too.
            return ProxyEnvironment.IsExempt(target.Host, noProxy.Value) ? null : new ProxyChoice(Parse(given, "--proxy"), "--proxy");
        }

        var (name, value) = First(environment, ProxyEnvironment.VariablesFor(target));
        if (name is null || ProxyEnvironment.IsExempt(target.Host, noProxy.Value))
        {
            return null;
        }

        return new ProxyChoice(Parse(value!, name), name);
    }

    private static ProxyUrl Parse(string text, string from)
    {
        if (ProxyUrl.TryParse(text, out var url, out var error))
        {
            return url!;
        }

        var fix = from == "--proxy" ? "" : $" (or unset {from}, or pass --no-proxy)";
        throw new CliException($"{from}: {error}{fix}", ExitCodes.Usage);
    }

    /// <summary>The first variable of <paramref name="names"/> that is set and not empty, as curl takes them.</summary>
    private static (string? Name, string? Value) First(Func<string, string?> environment, IReadOnlyList<string> names)
    {
        foreach (var name in names)
        {
            if (environment(name) is { Length: > 0 } value && !string.IsNullOrWhiteSpace(value))
            {
                return (name, value);
            }
        }

        return (null, null);
    }
}
