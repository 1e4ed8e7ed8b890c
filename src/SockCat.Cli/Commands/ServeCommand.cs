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

/// <summary><c>sockcat serve SERVICE URL...</c>: the services, each a subcommand over the same engine and flags.</summary>
internal static class ServeCommand
{
    public static Command Create()
    {
        var command = new Command("serve", """
            Serve a protocol on one or more endpoints, many clients at once, with the seed's log lines:
              sockcat serve echo tcp://0.0.0.0:4444
              sockcat serve echo tcp://127.0.0.1:4444 unix:///tmp/echo.sock
            """);
        command.Subcommands.Add(ServeEchoCommand.Create());
        command.Subcommands.Add(ServeBrokerCommand.Create());
        command.Subcommands.Add(ServeChatCommand.Create());
        return command;
    }
}

/// <summary>
/// The flags every serve verb shares (endpoints, limits, logging, shutdown) and the run that every verb ends in:
/// raise the open-file limit, start a <see cref="SockCatServer"/>, print where it listens, wait for Ctrl+C or
/// SIGTERM, drain, print a summary.
/// </summary>
internal sealed class ServeOptions
{
    // The library's default, read from a fresh ServerOptions so help and behaviour follow it.
    private static readonly TimeSpan DefaultHandshakeTimeout = new ServerOptions().TlsHandshakeTimeout;

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

    public Option<string[]> Allow { get; } = new("--allow")
    {
        HelpName = "ADDR[/BITS]",
        Description = "Serve only clients from these addresses or CIDR ranges (repeatable, or comma-separated: 127.0.0.1,10.0.0.0/8); the others are closed before any byte is read",
    };

    public Option<string[]> Deny { get; } = new("--deny")
    {
        HelpName = "ADDR[/BITS]",
        Description = "Close clients from these addresses or CIDR ranges before any byte is read (repeatable, or comma-separated); wins over --allow",
    };

    public Option<string?> Certificate { get; } = new("--cert")
    {
        HelpName = "FILE",
        Description = "PEM certificate (and chain) for tls:// endpoints [default: a self-signed one for localhost, made at start; its fingerprint is printed]",
    };

    public Option<string?> Key { get; } = new("--key")
    {
        HelpName = "FILE",
        Description = "PEM private key for --cert (unencrypted) [default: read from the --cert file]",
    };

    public Option<double?> TlsHandshakeTimeout { get; } = new Option<double?>("--tls-handshake-timeout")
    {
        HelpName = "SECONDS",
        Description = $"Close a tls:// client that has not finished its handshake in SECONDS [default: {DefaultHandshakeTimeout.TotalSeconds:0}]",
    }.Real(NumberRule.Seconds($"{DefaultHandshakeTimeout.TotalSeconds:0}"));

    public Option<string[]> Origins { get; } = new("--origin")
    {
        HelpName = "ORIGIN",
        Description = "Let pages from ORIGIN (https://example.com, or * for any) open WebSockets on ws:// and wss:// endpoints; repeatable or comma-separated [default: the endpoint's own origin only]",
    };

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
        command.Options.Add(Origins);
    }

    /// <summary>Runs a server until Ctrl+C or SIGTERM (or <paramref name="cancellationToken"/>), then drains and exits 0.</summary>
    /// <param name="configure">The verb's own settings (e.g. <c>--single</c>).</param>
    /// <param name="startDatagram">Serves a udp:// endpoint for verbs that have a datagram form (echo); null: udp:// is refused.</param>
    /// <param name="protocolSchemes">
    /// A verb's own schemes (chat's <c>irc://</c>): a URL with one of these is a tcp:// listener whose connections get that
    /// scheme's protocol instead of <paramref name="protocolFactory"/>'s.
    /// </param>
    /// <param name="moreEndpoints">URLs a verb's own flags add to the URL arguments (chat's <c>--web</c>).</param>
    public async Task<int> RunAsync(
        ParseResult parseResult,
        Func<IConnection, IConnectionProtocol> protocolFactory,
        Action<ServerOptions>? configure,
        CancellationToken cancellationToken,
        Func<EndpointUrl, ILogger, UdpEchoOptions, UdpEchoServer>? startDatagram = null,
        IReadOnlyDictionary<string, Func<IConnection, IConnectionProtocol>>? protocolSchemes = null,
        IEnumerable<string>? moreEndpoints = null)
    {
        // System.CommandLine's own Ctrl+C handling returns 130 two seconds after the signal, which would cut a --drain
        // short; it reads this setting after the action has started, so the action (which handles signals itself) opts out.
        parseResult.InvocationConfiguration.ProcessTerminationTimeout = null;

        var stdout = parseResult.InvocationConfiguration.Output;
        var stderr = parseResult.InvocationConfiguration.Error;
        int Fail(string message, int code)
        {
            stderr.WriteLine($"sockcat: {message}");
            return code;
        }

        var urls = new List<EndpointUrl>();
        var factories = new List<Func<IConnection, IConnectionProtocol>>();
        foreach (var given in (parseResult.GetValue(Endpoints) ?? []).Concat(moreEndpoints ?? []))
        {
            var text = given;
            Func<IConnection, IConnectionProtocol>? schemeFactory = null;
            if (protocolSchemes is not null && text.IndexOf("://", StringComparison.Ordinal) is > 0 and var at
                && protocolSchemes.TryGetValue(text[..at].ToLowerInvariant(), out schemeFactory))
            {
                text = "tcp" + text[at..];
            }

            if (!EndpointUrl.TryParse(text, out var url, out var error))
            {
                return Fail(error!, ExitCodes.Usage);
            }

            urls.Add(url!);
            factories.Add(schemeFactory ?? protocolFactory);
        }

        // The engine refuses udp:// itself (one line, exit 5) for verbs without a datagram form.
        var datagramUrls = startDatagram is null ? [] : urls.Where(u => u.Scheme == EndpointScheme.Udp).ToList();
        var streamUrls = urls.Except(datagramUrls).ToList();

        AccessList access;
        try
        {
            access = AccessList.Parse(parseResult.GetValue(Allow), parseResult.GetValue(Deny));
        }
        catch (AccessListFormatException e)
        {
            return Fail(e.Message, ExitCodes.Usage);
        }

        var handshake = parseResult.GetValue(TlsHandshakeTimeout);
        var origins = (parseResult.GetValue(Origins) ?? []).SelectMany(o => o.Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries)).ToList();
        if (origins.FirstOrDefault(o => o != "*" && !IsOrigin(o)) is { } badOrigin)
        {
            return Fail($"--origin '{badOrigin}' is not an origin; write scheme://host[:port] as a browser sends it, e.g. --origin https://example.com", ExitCodes.Usage);
        }

        var maxConnections = parseResult.GetValue(MaxConnections);
        var idle = parseResult.GetValue(IdleTimeout);
        var maxQueue = parseResult.GetValue(MaxQueue);
        var loops = parseResult.GetValue(Loops);
        var drain = parseResult.GetValue(Drain);
        var quiet = parseResult.GetValue(Quiet);
        var transport = parseResult.GetValue(Transport) switch
        {
            "epoll" => ServerTransport.Epoll,
            "kestrel" => ServerTransport.Kestrel,
            "kestrel-epoll" => ServerTransport.KestrelEpoll,
            _ => ServerTransport.Auto,
        };
        if (transport is ServerTransport.Epoll or ServerTransport.KestrelEpoll && !SockCatServer.UsesEpoll(ServerTransport.Auto))
        {
            return Fail($"--transport {parseResult.GetValue(Transport)} needs Linux on x86-64; use --transport auto or kestrel", ExitCodes.Usage);
        }

        // Said once serving has started: a start that fails prints its error alone.
        string? fileLimitLine = null;
        if (OpenFileLimit.RaiseToHardLimit() is var (before, after))
        {
            var allowed = OpenFileLimit.ConnectionsAllowed(after);
            if (maxConnections > allowed)
            {
                return Fail($"--max-conns {maxConnections} needs more open files than the limit ({after}) allows; raise it (ulimit -n, or LimitNOFILE= for a service) or use --max-conns {allowed} or fewer", ExitCodes.Usage);
            }

            var raised = after > before ? $" (raised from {before})" : "";
            fileLimitLine = $"sockcat: open-file limit {after}{raised}: room for {Counted.Of(Math.Min(allowed, maxConnections ?? allowed), "client")}";
        }

        var options = new ServerOptions
        {
            Transport = transport,
            LoopCount = loops,
            MaxConnections = maxConnections,
            IdleTimeout = idle is { } s ? TimeSpan.FromSeconds(s) : null,
            MaxOutputQueueBytes = maxQueue ?? ServerOptions.DefaultMaxOutputQueueBytes,
            DrainTimeout = TimeSpan.FromSeconds(drain),
            AcceptFilter = access.HasRules ? access.IsAllowed : null,
            TlsHandshakeTimeout = handshake is { } h ? TimeSpan.FromSeconds(h) : DefaultHandshakeTimeout,
        };
        foreach (var origin in origins)
        {
            options.Web.AllowedOrigins.Add(origin);
        }

        configure?.Invoke(options);

        // Only a tls:// endpoint needs a certificate: generating one costs time and a fingerprint line nobody asked for.
        var tls = streamUrls.Any(u => u.IsSecure);
        using var certificate = tls ? LoadCertificate(parseResult) : null;
        if (certificate is { Error: { } certificateError })
        {
            return Fail(certificateError, ExitCodes.ListenFailed);
        }

        if (certificate?.Certificate is { } serverCertificate)
        {
            options.ServerCertificate = serverCertificate.Certificate;
            options.TlsOptions = serverCertificate.CreateServerOptions();
        }

        var json = parseResult.GetValue(LogFormat) == "json";
        using var logProvider = new ServeLoggerProvider(stdout, stderr, json, quiet ? LogLevel.Warning : LogLevel.Information);
        // The generic host under tls:// logs a failed start with its stack trace; the error line below says it once.
        using var loggerFactory = LoggerFactory.Create(b => b.AddProvider(logProvider).SetMinimumLevel(LogLevel.Trace)
            .AddFilter("Microsoft.Extensions.Hosting", LogLevel.None));

        using var signals = new StopSignals(steps: 2, cancellationToken);
        await using var server = new SockCatServer(protocolFactory, options, loggerFactory);
        var datagramServers = new List<UdpEchoServer>();
        var bound = new List<EndpointUrl>();
        try
        {
            if (streamUrls.Count > 0)
            {
                // Each stream URL once with its factory: irc://127.0.0.1:0 beside tcp://127.0.0.1:0 is a second listener.
                foreach (var (url, factory) in urls.Zip(factories).Where(p => !datagramUrls.Contains(p.First)).Distinct())
                {
                    server.Listen(url, factory);
                }

                bound.AddRange(await server.StartAsync(CancellationToken.None));
            }

            var udpOptions = new UdpEchoOptions { Access = access };
            var udpLogger = loggerFactory.CreateLogger("SockCat.Server.Udp");
            foreach (var url in datagramUrls)
            {
                try
                {
                    datagramServers.Add(startDatagram!(url, udpLogger, udpOptions));
                }
                catch (SocketException e)
                {
                    throw ServerListenException.From(url, e);
                }

                bound.Add(datagramServers[^1].Url);
            }
        }
        catch (ServerListenException e)
        {
            await StopDatagramsAsync(datagramServers);
            return Fail(e.Message, ExitCodes.ListenFailed);
        }
        catch (ArgumentOutOfRangeException e) when (e.ParamName == nameof(ServerOptions.MaxConnections))
        {
            return Fail(e.Message.Split(" (Parameter")[0], ExitCodes.Usage);
        }

        foreach (var url in bound)
        {
            stderr.WriteLine($"sockcat: listening on {url}");
        }

        if (certificate?.Certificate is { } ready)
        {
            stderr.WriteLine(certificate.Line);
            var tlsLogger = loggerFactory.CreateLogger(ServeCertificateLog.Category);
            foreach (var warning in ready.Warnings)
            {
                ServeCertificateLog.CertificateWarning(tlsLogger, warning);
            }
        }

        if (!tls && IgnoredCertificateOptions(parseResult) is { } ignored)
        {
            stderr.WriteLine($"sockcat: {ignored} only for tls:// endpoints, and none is given; serving without TLS (add e.g. tls://127.0.0.1:4443 to serve TLS too)");
        }

        if (fileLimitLine is not null && !quiet)
        {
            stderr.WriteLine(fileLimitLine);
        }

        stderr.Flush();
        try
        {
            await Task.Delay(Timeout.Infinite, signals.Stop);
        }
        catch (OperationCanceledException)
        {
        }

        // Datagrams have no connection to let finish: their sockets close at once, while streams drain.
        await StopDatagramsAsync(datagramServers);
        ServerSummary? summary = null;
        if (streamUrls.Count > 0)
        {
            var open = server.Connections.Count;
            if (open > 0 && options.DrainTimeout > TimeSpan.Zero)
            {
                stderr.WriteLine($"sockcat: draining {Counted.Of(open, "connection")} for up to {CommonOptions.Seconds(options.DrainTimeout)} (Ctrl+C again to close {(open == 1 ? "it" : "them")} now)");
                stderr.Flush();
            }

            summary = await server.StopAsync(options.DrainTimeout, signals.Now);
        }

        logProvider.Dispose();
        var uptime = summary?.Uptime ?? TimeSpan.Zero;
        var datagramBytes = datagramServers.Sum(d => d.BytesEchoed);
        var datagrams = datagramServers.Count > 0 ? $", {Counted.Of(datagramServers.Sum(d => d.DatagramsEchoed), "datagram")}" : "";
        stderr.WriteLine($"sockcat: stopped after {FormatDuration(uptime)}; served {Counted.Of(summary?.ConnectionsServed ?? 0, "connection")}{datagrams}, " +
                         $"{FormatBytes((summary?.BytesReceived ?? 0) + datagramBytes)} in, {FormatBytes((summary?.BytesSent ?? 0) + datagramBytes)} out");
        return ExitCodes.Success;
    }

    private static bool IsOrigin(string text) =>
        Uri.TryCreate(text, UriKind.Absolute, out var uri) && uri.Scheme is "http" or "https" && uri.AbsolutePath == "/" && uri.Query.Length == 0;

    private static async Task StopDatagramsAsync(List<UdpEchoServer> servers)
    {
        foreach (var server in servers)
        {
            await server.StopAsync();
        }
    }

    /// <summary>"--cert is", "--key is" or "--cert and --key are": those given, for a server with no tls:// endpoint to use them.</summary>
    private string? IgnoredCertificateOptions(ParseResult parseResult) =>
        (parseResult.GetValue(Certificate) is not null, parseResult.GetValue(Key) is not null) switch
        {
            (true, true) => "--cert and --key are",
            (true, false) => "--cert is",
            (false, true) => "--key is",
            _ => null,
        };

    /// <summary>Loads --cert/--key, or makes a self-signed certificate, with the line that gives its fingerprint for <c>connect --fingerprint</c>.</summary>
    private CertificateResult LoadCertificate(ParseResult parseResult)
    {
        ServerCertificate certificate;
        try
        {
            certificate = ServerCertificateLoader.Load(parseResult.GetValue(Certificate), parseResult.GetValue(Key));
        }
        catch (ServerCertificateException e)
        {
            return new CertificateResult(null, CertificateErrors.Describe(e), "");
        }

        return new CertificateResult(certificate, null, ListenerOptions.Announce(certificate));
    }

    private sealed record CertificateResult(ServerCertificate? Certificate, string? Error, string Line) : IDisposable
    {
        public void Dispose() => Certificate?.Dispose();
    }

    internal static string FormatBytes(long bytes) => bytes switch
    {
        < 1024 => $"{bytes} B",
        < 1024 * 1024 => string.Create(CultureInfo.InvariantCulture, $"{bytes / 1024.0:0.#} KiB"),
        < 1024L * 1024 * 1024 => string.Create(CultureInfo.InvariantCulture, $"{bytes / (1024.0 * 1024):0.#} MiB"),
        _ => string.Create(CultureInfo.InvariantCulture, $"{bytes / (1024.0 * 1024 * 1024):0.##} GiB"),
    };

    internal static string FormatDuration(TimeSpan t) => t.TotalSeconds < 60
        ? string.Create(CultureInfo.InvariantCulture, $"{t.TotalSeconds:0.#} s")
        : t.TotalHours < 1 ? $"{(int)t.TotalMinutes} min {t.Seconds} s" : $"{(int)t.TotalHours} h {t.Minutes} min";
}
