using Microsoft.Extensions.Logging;
using SockCat.Server;
using SockCat.Server.Udp;

namespace SockCat.Cli.Commands;

/// <summary>What a serve verb adds to the common run beyond its stream protocol; every part is optional.</summary>
internal sealed record ServeHooks
{
    /// <summary>Serves udp:// endpoints, for verbs that have a datagram form (echo); null: udp:// is refused.</summary>
    public IDatagramProtocol? DatagramProtocol { get; init; }

    /// <summary>Called with the log's factory before the server starts, for a service that logs lines of its own.</summary>
    public Action<ILoggerFactory>? Logging { get; init; }

    /// <summary>
    /// A verb's own schemes (chat's <c>irc://</c>): a URL with one of these is a tcp:// listener whose connections get that
    /// scheme's protocol instead of the verb's own.
    /// </summary>
    public IReadOnlyDictionary<string, Func<IConnection, IConnectionProtocol>>? ProtocolSchemes { get; init; }

    /// <summary>Awaited once the server has stopped, before the summary: a service's own resources (exec's processes).</summary>
    public Func<Task>? Stopped { get; init; }
}
