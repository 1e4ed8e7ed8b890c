using System.CommandLine;
using System.Net;
using System.Net.Sockets;
using SockCat.Client;
using SockCat.Endpoints;
using SockCat.Streams;
using SockCat.Tls;

namespace SockCat.Cli.Commands;

/// <summary>`sockcat connect URL`: nc/ncat's connect mode, over the library's <see cref="SocketClient"/>.</summary>
internal static class ConnectCommand
{
    public static Command Create()
    {
        var url = CommonOptions.Url("Where to connect: tcp://host:port, tls://host:port, unix:///path, udp://host:port, or host:port (or HOST PORT, as nc takes them)");
        var send = new Option<string?>("--send")
        {
            Description = "Send TEXT instead of reading stdin, then half-close and print the reply until the server closes. Escapes: \\r \\n \\t \\0 \\\\ \\xHH",
            HelpName = "text",
        };
        var crlf = CommonOptions.Crlf();
        var timeout = CommonOptions.Seconds(new Option<double?>("--timeout", "-w")
        {
            Description = "Give up connecting (name lookup, connect, TLS handshake) after this many seconds [default: 30]",
            HelpName = "seconds",
        });
        var idleTimeout = CommonOptions.IdleTimeout();
        var insecure = new Option<bool>("--insecure")
        {
            Description = "tls: accept any certificate, trusted or not (anyone in between can read the traffic)",
        };
        var fingerprint = new Option<string?>("--fingerprint")
        {
            Description = "tls: accept exactly the certificate with this SHA-256 fingerprint (hex, colons optional)",
            HelpName = "sha256",
        };
        var source = new Option<string?>("--source", "-s")
        {
            Description = "tcp, tls, udp: connect from this local address (and port), as nc -s: ADDR, ADDR:PORT or [IPv6]:PORT",
            HelpName = "addr[:port]",
        };

        var retry = new Option<string?>("--retry")
        {
            HelpName = "N|forever",
            Description = "When the connection cannot be made (refused, timed out, unreachable), try N more times, or forever, saying each failure on stderr",
        };
        var interval = CommonOptions.Seconds(new Option<double?>("--interval")
        {
            HelpName = "seconds",
            Description = "With --retry, wait this many seconds between attempts [default: 1]",
        }, "1");
        var webSocket = new WebSocketOptions();
        var reconnect = new Option<bool>("--reconnect")
        {
            Description = "When the server closes or drops the connection while stdin goes on, connect again (every --interval seconds until it answers) and carry on with the rest of stdin",
        };
        var probe = new Option<bool>("--probe", "-z")
        {
            Description = "Only tell whether the port is open, as nc -z (HOST PORTS takes 20-25,80; -v: a line per port); exit 0 if all are",
        };

        var bridge = new BridgeOptions();
        var addresses = new AddressOptions();
        var proxy = new ProxyOptions();

        var command = new Command("connect", "Connect to a socket and join it to stdin and stdout, as nc does");
        VerbHelp.Add(command, """
            Details:
              Bytes pass unchanged both ways, so binary data is safe. Each direction ends on
              its own: when stdin ends, sockcat half-closes the connection (the server reads
              end of file) and keeps printing what the server sends; when the server closes
              its side, sockcat keeps sending stdin. It exits when both have ended (-q: at
              most SECONDS after stdin's end). tls:// checks the server's certificate and name
              unless --insecure or --fingerprint says otherwise. For udp://, each line of stdin
              is one datagram and each reply is printed; sockcat ends a second after stdin ends.

            Examples:
              sockcat connect tcp://127.0.0.1:4444
              sockcat connect 127.0.0.1 4444                       the same, as nc takes them
              sockcat connect -6 -s 2001:db8::5 example.com 80     IPv6 only, from that address
              sockcat connect tcp://example.com:80 --send "GET / HTTP/1.1\r\nHost: example.com\r\n\r\n"
              sockcat connect -v localhost:9000 < file.bin
              sockcat connect tls://127.0.0.1:8443 --fingerprint 3A:1F:...:C4
              echo hello | sockcat connect udp://127.0.0.1:5353
              sockcat connect unix:///run/app.sock --idle-timeout 10
              sockcat connect --proxy socks5://user:pass@127.0.0.1:1080 example.com 80

            Exit status:
              0 both directions ended cleanly, 1 stdout or stdin failed, 2 bad usage,
              3 could not connect, 4 connection lost or idle, 6 TLS failed,
              8 proxy unreachable, 9 proxy login refused, 10 proxy could not reach
              the target, 11 not a proxy of that kind,
              130 Ctrl+C, 141 stdout's reader went away, 143 SIGTERM (docs/cli.md)
            """);
        command.Arguments.Add(url);
        addresses.AddTo(command);
        command.Options.Add(send);
        command.Options.Add(crlf);
        command.Options.Add(timeout);
        command.Options.Add(idleTimeout);
        command.Options.Add(insecure);
        command.Options.Add(fingerprint);
        command.Options.Add(source);
        command.Options.Add(retry);
        command.Options.Add(interval);
        command.Options.Add(reconnect);
        command.Options.Add(probe);
        webSocket.AddTo(command);
        proxy.AddTo(command);

        bridge.AddTo(command);

        command.SetAction((parseResult, cancellationToken) => parseResult.GetValue(probe)
            ? parseResult.GetValue(proxy.Proxy) is not null
                ? throw new CliException("-z probes ports directly, and a proxy would answer for them; leave --proxy out", ExitCodes.Usage)
                : ProbeCommand.RunAsync(
                ProbeSettingsOf(parseResult.GetValue(url) ?? "", parseResult.GetValue(addresses.Port), addresses.ReadFamily(parseResult),
                    CommonOptions.ToTimeSpan(parseResult.GetValue(timeout)), parseResult.GetValue(bridge.Verbose)),
                parseResult.InvocationConfiguration.Output,
                CommonOptions.ErrorWriter(parseResult),
                cancellationToken)
            : RunAsync(WithProxy(parseResult, proxy, new ConnectSettings(
            addresses.ReadUrl(parseResult, parseResult.GetValue(url) ?? "", addresses.ReadFamily(parseResult), listen: false),
            addresses.ReadFamily(parseResult),
            parseResult.GetValue(source) is { } from ? ParseSource(from) : null,
            parseResult.GetValue(send) is { } text ? DecodeSend(text) : null,
            parseResult.GetValue(crlf),
            CommonOptions.ToTimeSpan(parseResult.GetValue(timeout)) ?? ConnectOptions.DefaultTimeout,
            parseResult.GetValue(insecure),
            parseResult.GetValue(fingerprint),
            bridge.Read(parseResult, CommonOptions.ToTimeSpan(parseResult.GetValue(idleTimeout))),
            parseResult.GetValue(bridge.Verbose),
            ParseRetries(parseResult.GetValue(retry)),
            CommonOptions.ToTimeSpan(parseResult.GetValue(interval)),
            parseResult.GetValue(reconnect),
            webSocket.Read(parseResult),
            null)), CommonOptions.ErrorWriter(parseResult), StopSignals.Register(parseResult, cancellationToken)));
        return command;
    }

    /// <summary>The settings with the proxy the URL goes through (--proxy, or the environment's), once the URL is known.</summary>
    private static ConnectSettings WithProxy(ParseResult parseResult, ProxyOptions proxy, ConnectSettings settings) =>
        settings with { Proxy = proxy.Read(parseResult, settings.Url) };

    /// <summary>
    /// <c>connect -z</c>: nc's zero-I/O mode on the probe's engine. HOST PORTS takes ranges and lists as nc -z does; a
    /// tcp:// or udp:// URL names one port. Silent unless -v, as nc is; a port is probed for at most -w seconds (2 by default, not connect's 30).
    /// </summary>
    private static ProbeSettings ProbeSettingsOf(string first, string? ports, AddressFamily family, TimeSpan? timeout, bool verbose)
    {
        var output = verbose ? ProbeOutput.Lines : ProbeOutput.Quiet;
        var wait = timeout ?? TimeSpan.FromSeconds(2);
        if (ports is not null)
        {
            return new ProbeSettings(first, ports, Udp: false, wait, Concurrency: 100, family, output);
        }

        var target = CommonOptions.ParseUrl(first);
        if (target.Scheme is not (EndpointScheme.Tcp or EndpointScheme.Udp))
        {
            throw new CliException($"-z probes tcp and udp ports, and {target} is neither; give HOST PORTS or a tcp:// or udp:// URL", ExitCodes.Usage);
        }

        return new ProbeSettings(target.Host, target.Port.ToString(System.Globalization.CultureInfo.InvariantCulture), target.Scheme == EndpointScheme.Udp, wait, Concurrency: 1, family, output);
    }

    private static Action<ConnectException, int, TimeSpan> SayRetry(TextWriter error, int retries) => (failure, attempt, wait) => error.WriteLine(
        $"sockcat: {failure.Message}; trying again in {CommonOptions.Seconds(wait)} (attempt {attempt + 1}{(retries == int.MaxValue ? "" : $" of {retries + 1}")})");

    /// <summary>--retry N or forever (socat's retry= and forever).</summary>
    private static int ParseRetries(string? text) => text switch
    {
        null => 0,
        "forever" => int.MaxValue,
        _ when int.TryParse(text, System.Globalization.NumberStyles.None, System.Globalization.CultureInfo.InvariantCulture, out var n) => n,
        _ => throw new CliException($"--retry: '{text}' is not a number of attempts; give a whole number or forever, e.g. --retry 5", ExitCodes.Usage),
    };

    /// <summary>nc -s takes an address; ADDR:PORT also chooses the port (nc -p). Only IP addresses: a name could mean several.</summary>
    private static IPEndPoint ParseSource(string text)
    {
        if (IPEndPoint.TryParse(text, out var endPoint) && LooksLikeAddress(text))
        {
            return endPoint;
        }

        throw new CliException($"--source '{text}' is not a local address; give an IP address of this machine, optionally with a port: 127.0.0.1, 192.168.1.5:5000 or [::1]:5000", ExitCodes.Usage);
    }

    // IPAddress.TryParse takes "10" for 0.0.0.10 (inet_aton's forms): almost surely a typo here.
    private static bool LooksLikeAddress(string text) =>
        text.Contains(':') && (text.StartsWith('[') || text.Count(c => c == ':') > 1) || text.Split(':')[0].Count(c => c == '.') == 3;

    private static byte[] DecodeSend(string text)
    {
        try
        {
            return EscapeSequences.Decode(text);
        }
        catch (FormatException ex)
        {
            throw new CliException($"--send: {ex.Message}", ExitCodes.Usage, ex);
        }
    }

    private static async Task<int> RunAsync(ConnectSettings settings, TextWriter error, StopSignals signals)
    {
        using var signalHandlers = signals;
        if (settings.Fingerprint is { } fp && !CertificateFingerprint.TryParse(fp, out _))
        {
            throw new CliException($"--fingerprint '{fp}' is not a SHA-256 fingerprint; give 64 hex digits, colons optional (openssl x509 -noout -fingerprint -sha256 -in cert.pem)", ExitCodes.Usage);
        }

        if ((settings.Insecure || settings.Fingerprint is not null) && settings.Url.Scheme is not (EndpointScheme.Tls or EndpointScheme.WebSocketSecure))
        {
            throw new CliException($"--insecure and --fingerprint are for tls:// endpoints, and {settings.Url} is not one; use tls://{settings.Url.Host}:{settings.Url.Port}", ExitCodes.Usage);
        }

        if (settings.Send is not null && !settings.Bridge.Send)
        {
            throw new CliException("--send and --recv-only exclude each other: --recv-only sends nothing; give one of them", ExitCodes.Usage);
        }

        if (settings.Source is { } local)
        {
            if (settings.Url.Scheme == EndpointScheme.Unix)
            {
                throw new CliException($"--source is for tcp, tls and udp, and {settings.Url} is a unix socket; leave --source out", ExitCodes.Usage);
            }

            var localFamily = local.AddressFamily == AddressFamily.InterNetworkV6 ? "IPv6" : "IPv4";
            if (settings.Family != AddressFamily.Unspecified && local.AddressFamily != settings.Family)
            {
                var flag = settings.Family == AddressFamily.InterNetwork ? "-4" : "-6";
                throw new CliException($"--source {local.Address} is an {localFamily} address, and {flag} asks for the other family; drop {flag}, or give a source of its family", ExitCodes.Usage);
            }

            if (IPAddress.TryParse(settings.Url.Host, out var target) && target.AddressFamily != local.AddressFamily)
            {
                throw new CliException($"--source {local.Address} is an {localFamily} address and {settings.Url.Host} is not: both ends of a connection have one family; give a source and a destination of the same family", ExitCodes.Usage);
            }
        }

        if (settings.Interval is not null && settings.Retries == 0 && !settings.Reconnect)
        {
            throw new CliException("--interval is the wait between --retry attempts, and there is no --retry; add --retry N (or forever)", ExitCodes.Usage);
        }

        var options = new ConnectOptions
        {
            AddressFamily = settings.Family,
            LocalEndPoint = settings.Source,
            Timeout = settings.Timeout,
            AllowUntrustedCertificate = settings.Insecure,
            CertificateFingerprint = settings.Fingerprint,
            Retries = settings.Retries,
            RetryInterval = settings.Interval ?? TimeSpan.FromSeconds(1),
            OnRetry = SayRetry(error, settings.Retries),
            Proxy = settings.Proxy?.Url,
        };

        if (settings.Reconnect && settings.Url.Scheme == EndpointScheme.Udp)
        {
            throw new CliException("--reconnect is for stream connections, and udp has none to lose; leave --reconnect out", ExitCodes.Usage);
        }

        var isWebSocket = settings.Url.Scheme is EndpointScheme.WebSocket or EndpointScheme.WebSocketSecure;
        if (!isWebSocket && settings.WebSocket.Given is { } wsOption)
        {
            throw new CliException($"{wsOption} is for ws:// and wss:// endpoints, and {settings.Url} is not one; leave {wsOption} out", ExitCodes.Usage);
        }

        if (isWebSocket && settings.Reconnect)
        {
            throw new CliException("--reconnect is for tcp, tls and unix connections so far; for a WebSocket, leave --reconnect out", ExitCodes.Usage);
        }

        if (isWebSocket)
        {
            return await ConnectWebSocket.RunAsync(settings.Url, options, settings.WebSocket, settings.Send, settings.Crlf, settings.Verbose, error, signals).ConfigureAwait(false);
        }

        var console = ConsoleStreams.Current;
        // One stdin for every connection: a read pending when a connection ends is kept for the next (StdinStream).
        Stream input = settings.Send is { } text ? new MemoryStream(text, writable: false) : new StdinStream(console.OpenInput(), settings.Crlf);
        var output = console.OpenOutput();
        var bridge = settings.Reconnect ? settings.Bridge with { EndWhenPeerEndsWhileInputWaits = true } : settings.Bridge;
        var reconnectOptions = options with { Retries = int.MaxValue, OnRetry = SayRetry(error, int.MaxValue) };
        for (var attempt = 1; ; attempt++)
        {
            var (code, again) = await ConnectAndBridgeAsync(settings, attempt == 1 ? options : reconnectOptions, bridge, input, output, error, signals).ConfigureAwait(false);
            if (!again)
            {
                return code;
            }

            var wait = settings.Interval ?? TimeSpan.FromSeconds(1);
            await error.WriteLineAsync($"sockcat: connecting to {settings.Url} again in {CommonOptions.Seconds(wait)} (--reconnect)").ConfigureAwait(false);
            try
            {
                await Task.Delay(wait, signals.Stop).ConfigureAwait(false);
            }
            catch (OperationCanceledException) when (signals.Stop.IsCancellationRequested)
            {
                return signals.ExitCode;
            }
        }
    }

    /// <summary>One connection and its bridge; with --reconnect, whether the server's going away (stdin still open) calls for another.</summary>
    private static async Task<(int Code, bool Again)> ConnectAndBridgeAsync(
        ConnectSettings settings, ConnectOptions options, StreamBridgeOptions bridge, Stream input, Stream output, TextWriter error, StopSignals signals)
    {
        ClientConnection connection;
        try
        {
            connection = await SocketClient.ConnectAsync(settings.Url, options, signals.Stop).ConfigureAwait(false);
        }
        catch (OperationCanceledException) when (signals.Stop.IsCancellationRequested)
        {
            return (signals.ExitCode, false);
        }

        await using (connection.ConfigureAwait(false))
        {
            var peerName = settings.Url.ToString();
            if (settings.Verbose)
            {
                // Through a proxy the socket's peer is the proxy, not the target.
                var address = settings.Proxy is { } via ? $" {via}" : connection.RemoteEndPoint is IPEndPoint ip ? $" ({ip})" : "";
                address += settings.Source is not null && connection.LocalEndPoint is IPEndPoint bound ? $" from {bound}" : "";
                await error.WriteLineAsync($"sockcat: connected to {peerName}{address}").ConfigureAwait(false);
            }

            (bridge.Traffic as TrafficDump)?.Begin(peerName);
            var result = connection.IsDatagram
                ? await DatagramBridge.RunAsync(connection.Socket, input, output, bridge, signals.Stop).ConfigureAwait(false)
                : await StreamBridge.RunAsync(input, output, connection, bridge, signals.Stop).ConfigureAwait(false);
            if (connection.IsDatagram && result.Outcome == StreamBridgeOutcome.PeerFailed)
            {
                throw DatagramBridge.Failure(peerName, result.Error!);
            }

            if (settings.Reconnect && !result.InputEnded
                && result.Outcome is StreamBridgeOutcome.PeerEndedWhileInputWaited or StreamBridgeOutcome.PeerFailed)
            {
                var why = result.Outcome == StreamBridgeOutcome.PeerFailed ? BridgeReport.ConnectionLost(peerName, result.Error!).Message : $"{peerName} closed the connection";
                await error.WriteLineAsync($"sockcat: {why}").ConfigureAwait(false);
                return (ExitCodes.Success, true);
            }

            return (await BridgeReport.ExitCodeAsync(result, peerName, bridge.IdleTimeout, settings.Verbose, signals, error).ConfigureAwait(false), false);
        }
    }

    private sealed record ConnectSettings(
        EndpointUrl Url,
        AddressFamily Family,
        IPEndPoint? Source,
        byte[]? Send,
        bool Crlf,
        TimeSpan Timeout,
        bool Insecure,
        string? Fingerprint,
        StreamBridgeOptions Bridge,
        bool Verbose,
        int Retries,
        TimeSpan? Interval,
        bool Reconnect,
        WebSocketSettings WebSocket,
        ProxyChoice? Proxy);
}
