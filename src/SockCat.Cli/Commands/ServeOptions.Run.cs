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

// The run every serve verb ends in: parse the endpoints, apply the limits, start the listeners, wait for a signal,
// drain, print the summary.
internal sealed partial class ServeOptions
{
    /// <summary>Runs a server until Ctrl+C or SIGTERM (or <paramref name="cancellationToken"/>), then drains and exits 0.</summary>
    /// <param name="configure">The verb's own settings (e.g. <c>--single</c>).</param>
    /// <param name="hooks">What the verb adds beyond its stream protocol: udp://, its own log lines and schemes, its own cleanup.</param>
    public Task<int> RunAsync(
        ParseResult parseResult,
        Func<IConnection, IConnectionProtocol> protocolFactory,
        Action<ServerOptions>? configure,
        CancellationToken cancellationToken,
        ServeHooks? hooks = null) =>
        RunAsync(parseResult, _ => protocolFactory, configure, cancellationToken, hooks);

    /// <summary>The same, for a service that logs lines of its own: its protocol factory is made with the server's logger factory.</summary>
    public async Task<int> RunAsync(
        ParseResult parseResult,
        Func<ILoggerFactory, Func<IConnection, IConnectionProtocol>> createProtocolFactory,
        Action<ServerOptions>? configure,
        CancellationToken cancellationToken,
        ServeHooks? hooks = null)
    {
        var datagramProtocol = hooks?.DatagramProtocol;
        var protocolSchemes = hooks?.ProtocolSchemes;
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
        // A verb's own scheme's factory per URL; null: the verb's protocol, made once the log exists.
        var factories = new List<Func<IConnection, IConnectionProtocol>?>();
        foreach (var given in EndpointTexts?.Invoke(parseResult) ?? parseResult.GetValue(Endpoints) ?? [])
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
            factories.Add(schemeFactory);
        }

        // The engine refuses udp:// itself (one line, exit 5) for verbs without a datagram form.
        var datagramUrls = datagramProtocol is null ? [] : urls.Where(u => u.Scheme == EndpointScheme.Udp).ToList();
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
        var origins = (WebSide ? parseResult.GetValue(Origins) ?? [] : []).SelectMany(o => o.Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries)).ToList();
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
        var roomAllowed = 0;
        if (OpenFileLimit.RaiseToHardLimit() is var (before, after))
        {
            var allowed = OpenFileLimit.ConnectionsAllowed(after);
            if (maxConnections > allowed)
            {
                return Fail($"--max-conns {maxConnections} needs more open files than the limit ({after}) allows; raise it (ulimit -n, or LimitNOFILE= for a service) or use --max-conns {allowed} or fewer", ExitCodes.Usage);
            }

            var raised = after > before ? $" (raised from {before})" : "";
            // "room for N" is filled in once the verb's own settings are known (relay halves the default).
            fileLimitLine = $"sockcat: open-file limit {after}{raised}: room for ";
            roomAllowed = allowed;
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

        // Every stream connection's bytes both ways, into one dump with one bound (a file's is opened here: an error is one line).
        options.TrafficObserver = Dump.Open(parseResult, stderr);

        configure?.Invoke(options);
        if (fileLimitLine is not null)
        {
            fileLimitLine += Counted.Of(Math.Min(roomAllowed, options.MaxConnections ?? roomAllowed), "client");
        }

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
        hooks?.Logging?.Invoke(loggerFactory);
        using var signals = new StopSignals(steps: 2, cancellationToken);
        var protocolFactory = createProtocolFactory(loggerFactory);
        await using var server = new SockCatServer(protocolFactory, options, loggerFactory);
        var datagramServers = new List<DatagramServer>();
        var bound = new List<EndpointUrl>();
        var serving = System.Diagnostics.Stopwatch.StartNew();   // the server's own uptime covers stream listeners only
        try
        {
            if (streamUrls.Count > 0)
            {
                // Each stream URL once with its factory: irc://127.0.0.1:0 beside tcp://127.0.0.1:0 is a second listener.
                foreach (var (url, factory) in urls.Zip(factories).Where(p => !datagramUrls.Contains(p.First)).Distinct())
                {
                    server.Listen(url, factory ?? protocolFactory);
                }

                bound.AddRange(await server.StartAsync(CancellationToken.None));
            }

            var udpOptions = new DatagramServerOptions { Access = access };
            var udpLogger = loggerFactory.CreateLogger("SockCat.Server.Udp");
            foreach (var url in datagramUrls)
            {
                try
                {
                    datagramServers.Add(DatagramServer.Start(url, datagramProtocol!, udpLogger, udpOptions));
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

        if (hooks?.Stopped is { } stopped)
        {
            await stopped();
        }

        logProvider.Dispose();
        var uptime = summary is { Uptime.Ticks: > 0 } ? summary.Uptime : serving.Elapsed;
        var datagramBytesIn = datagramServers.Sum(d => d.BytesReceived);
        var datagramBytesOut = datagramServers.Sum(d => d.BytesSent);
        var datagrams = datagramServers.Count > 0 ? $", {Counted.Of(datagramServers.Sum(d => d.DatagramsReceived), "datagram")}" : "";
        stderr.WriteLine($"sockcat: stopped after {FormatDuration(uptime)}; served {Counted.Of(summary?.ConnectionsServed ?? 0, "connection")}{datagrams}, " +
                         $"{FormatBytes((summary?.BytesReceived ?? 0) + datagramBytesIn)} in, {FormatBytes((summary?.BytesSent ?? 0) + datagramBytesOut)} out");
        return ExitCodes.Success;
    }

    private static bool IsOrigin(string text) =>
        Uri.TryCreate(text, UriKind.Absolute, out var uri) && uri.Scheme is "http" or "https" && uri.AbsolutePath == "/" && uri.Query.Length == 0;

    private static async Task StopDatagramsAsync(List<DatagramServer> servers)
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
    private CertificateResult LoadCertificate(ParseResult parseResult) =>
        ListenerOptions.TryLoadCertificate(parseResult.GetValue(Certificate), parseResult.GetValue(Key), out var certificate, out var problem, out _)
            ? new CertificateResult(certificate, null, ListenerOptions.Announce(certificate))
            : new CertificateResult(null, problem, "");

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
