using SockCat.Client.Proxy;

namespace SockCat.Cli.Commands;

/// <summary>The proxy a connection goes through, and what named it: "--proxy" or the environment variable.</summary>
internal sealed record ProxyChoice(ProxyUrl Url, string From)
{
    /// <summary>For -v: "via socks5://127.0.0.1:1080 (ALL_PROXY)".</summary>
    public override string ToString() => From == "--proxy" ? $"via {Url}" : $"via {Url} (from {From})";
}
