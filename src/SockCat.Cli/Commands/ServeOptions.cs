using System.CommandLine;
using System.Globalization;
using System.Net.Sockets;
using System.Runtime.InteropServices;
using Microsoft.Extensions.Logging;
using SockCat.Endpoints;
using SockCat.Server;
using SockCat.Server.Access;
using SockCat.Server.Tls;
using SockCat.Server.Udp;

namespace SockCat.Cli.Commands;

/// <summary>
/// The flags every serve verb shares (endpoints, limits, logging, shutdown) and the run that every verb ends in:
/// raise the open-file limit, start a <see cref="SockCatServer"/>, print where it listens, wait for Ctrl+C or
/// SIGTERM, drain, print a summary.
/// </summary>
internal sealed partial class ServeOptions
{
    // The library's default, read from a fresh ServerOptions so help and behaviour follow it.
    private static readonly TimeSpan DefaultHandshakeTimeout = new ServerOptions().TlsHandshakeTimeout;

    public ServeOptions()
    {
    }

    /// <summary>For a verb whose endpoints argument is its own (relay's one FROM, before its TO).</summary>
    public ServeOptions(Argument<string[]> endpoints) => Endpoints = endpoints;

    public Argument<string[]> Endpoints { get; } = CommonOptions.NoOptions(new Argument<string[]>("URL")
    {
        Description = "Where to listen: tcp://HOST:PORT, unix:///PATH, tls://HOST:PORT, udp://HOST:PORT or ws://HOST:PORT/PATH (wss://, http://, https://) where the service has one (HOST:PORT alone is tcp; port 0 picks a free port)",
        Arity = ArgumentArity.OneOrMore,
    });

    public Option<int?> MaxConnections { get; } = new Option<int?>("--max-conns")
    {
        HelpName = "N",
        Description = "Clients served at once; one more is told the server is full [default: the open-file limit less 100]",
    }.Whole(new NumberRule("clients", "1000", Min: 1));

    public Option<double?> IdleTimeout { get; } = new Option<double?>("--idle-timeout")
    {
        HelpName = "SECONDS",
        Description = "Close a connection with no traffic either way for this many SECONDS [default: never]",
    }.Real(NumberRule.Seconds("300"));

    public Option<int?> MaxQueue { get; } = new Option<int?>("--max-queue")
    {
        HelpName = "BYTES",
        Description = $"BYTES queued for a client before the server stops reading it; a client that never reads is cut at twice this [default: {ServerOptions.DefaultMaxOutputQueueBytes}]",
    }.Whole(new NumberRule("bytes", $"{ServerOptions.DefaultMaxOutputQueueBytes}", Min: 1024));

    public Option<int?> Loops { get; } = new Option<int?>("--loops")
    {
        HelpName = "N",
        Description = "Epoll loop threads [default: half the processors, at least 1]",
    }.Whole(new NumberRule("", "2", Min: 1, Max: 1024));

    public Option<double> Drain { get; } = new Option<double>("--drain")
    {
        HelpName = "SECONDS",
        Description = "On Ctrl+C or SIGTERM, SECONDS to let connections finish before closing them",
        DefaultValueFactory = _ => 5,
    }.Real(NumberRule.SecondsOrZero("5"));

    public Option<string> Transport { get; } = new Option<string>("--transport")
    {
        Description = "epoll (the engine's own loop, Linux), kestrel (ASP.NET Core's sockets), kestrel-epoll (Kestrel on the epoll loop), or auto",
        DefaultValueFactory = _ => "auto",
    }.OneOf("auto", "epoll", "kestrel", "kestrel-epoll");

    public Option<bool> Quiet { get; } = new("--quiet", "-q")
    {
        Description = "Do not log each connection (warnings and errors still go to stderr)",
    };

    public Option<string> LogFormat { get; } = new Option<string>("--log-format")
    {
        Description = "text (the seed's lines) or json (one object per line)",
        DefaultValueFactory = _ => "text",
    }.OneOf("text", "json");

    /// <summary>--allow, --deny, --cert and --key: defined once, with `listen` (<see cref="ListenerOptions"/>).</summary>
    public ListenerOptions Listener { get; } = new(server: true);

    public Option<string[]> Allow => Listener.Allow;

    public Option<string[]> Deny => Listener.Deny;

    public Option<string?> Certificate => Listener.Certificate;

    public Option<string?> Key => Listener.Key;

    public Option<double?> TlsHandshakeTimeout { get; } = new Option<double?>("--tls-handshake-timeout")
    {
        HelpName = "SECONDS",
        Description = $"Close a tls:// client that has not finished its handshake in SECONDS [default: {DefaultHandshakeTimeout.TotalSeconds:0}]",
    }.Real(NumberRule.Seconds($"{DefaultHandshakeTimeout.TotalSeconds:0}"));

    /// <summary>True for a verb with browser-facing endpoints (ws://, http://): only it takes <see cref="Origins"/>.</summary>
    public bool WebSide { get; init; }

    public Option<string[]> Origins { get; } = new("--origin")
    {
        HelpName = "ORIGIN",
        Description = "Let pages from ORIGIN (https://example.com, or * for any) open WebSockets on ws:// and wss:// endpoints; repeatable or comma-separated [default: the endpoint's own origin only]",
    };

    /// <summary>--hexdump, --log-traffic and --dump-max: every connection's traffic, as connect and listen dump theirs.</summary>
    public TrafficDumpOptions Dump { get; } = new();

    /// <summary>The endpoint words, for a verb whose URL argument holds more (exec's program after <c>--</c>); null: <see cref="Endpoints"/>.</summary>
    public Func<ParseResult, IEnumerable<string>>? EndpointTexts { get; set; }

    public void AddTo(Command command)
    {
        command.Arguments.Add(Endpoints);
        command.Options.Add(MaxConnections);
        command.Options.Add(IdleTimeout);
        command.Options.Add(MaxQueue);
        command.Options.Add(Loops);
        command.Options.Add(Drain);
        command.Options.Add(Transport);
        command.Options.Add(Quiet);
        command.Options.Add(LogFormat);
        command.Options.Add(Allow);
        command.Options.Add(Deny);
        command.Options.Add(Certificate);
        command.Options.Add(Key);
        command.Options.Add(TlsHandshakeTimeout);
        Dump.AddTo(command);
        if (WebSide)
        {
            command.Options.Add(Origins);
        }
    }
}
