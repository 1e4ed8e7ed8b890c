using System.CommandLine;
using SockCat.Client;
using SockCat.Client.WebSockets;
using SockCat.Endpoints;
using SockCat.Server;
using SockCat.Services.Relay;
using SockCat.Tls;
using SockCat.Web;

namespace SockCat.Cli.Commands;

/// <summary><c>sockcat relay FROM TO</c>: a port forwarder, as <c>socat TCP-LISTEN:P,fork TCP:HOST:Q</c>, on the server engine.</summary>
internal static class RelayCommand
{
    public static Command Create()
    {
        var from = CommonOptions.NoOptions(new Argument<string[]>("FROM")
        {
            Description = "Where to listen: tcp://HOST:PORT, unix:///PATH, tls://HOST:PORT, or ws://HOST:PORT/PATH and wss://… for WebSockets to a stream TO (HOST:PORT alone is tcp; port 0 picks a free port)",
            Arity = ArgumentArity.ExactlyOne,
            // One URL, as the serve verbs' list of them (ServeOptions reads a list).
            CustomParser = static result => [.. result.Tokens.Select(t => t.Value)],
        });
        var to = CommonOptions.NoOptions(new Argument<string>("TO")
        {
            Description = "Where each client is relayed: tcp://HOST:PORT, unix:///PATH, tls://HOST:PORT, or ws://HOST:PORT/PATH and wss://… (its bytes become messages)",
        });
        var options = new ServeOptions(from);
        var insecure = new Option<bool>("--insecure")
        {
            Description = "tls:// TO: accept any certificate, trusted or not (anyone in between can read the traffic)",
        };
        var fingerprint = new Option<string?>("--fingerprint")
        {
            Description = "tls:// TO: accept exactly the certificate with this SHA-256 fingerprint (hex, colons optional)",
            HelpName = "sha256",
        };
        var timeout = CommonOptions.Seconds(new Option<double?>("--connect-timeout")
        {
            Description = "Give up reaching TO (name lookup, connect, TLS handshake) after this many seconds and close the client [default: 30]",
            HelpName = "seconds",
        });
        var proxy = new ProxyOptions();
        proxy.Proxy.Description = "Reach TO through this proxy: socks5://[user:pass@]host:port, socks4a://host:port, or http://[user:pass@]host:port"
            + " (HTTP CONNECT); the proxy resolves host names [default: $ALL_PROXY, or $HTTPS_PROXY for a tls:// or wss:// TO]";
        var splice = new Option<bool>("--splice")
        {
            Description = "tcp:// and unix:// on the epoll engine: move the bytes with splice(2), in the kernel, instead of copying them through sockcat (not with --hexdump or --log-traffic, which must see them)",
        };
        var webSocket = new WebSocketOptions();
        webSocket.Binary.Description = "ws:// TO or FROM: each read of the stream side is one binary message, and messages are written to it as they come (default: a line is a text message, each text message a line)";
        var command = new Command("relay", "Accept clients on FROM and relay each to TO, both ways, as socat TCP-LISTEN:…,fork TCP:… and websockify do");
        VerbHelp.Add(command, """
            Details:
              Each direction ends on its own (a client's shutdown(SHUT_WR) reaches TO, which can still answer), a slow side
              pauses the fast one, and each relay is logged in one line with the bytes each way and its duration.
              When TO cannot be reached the client is closed, the log says why, and the next client tries again.
              tls:// FROM terminates TLS (--cert/--key, or a self-signed certificate); tls:// TO originates it.
              ws:// or wss:// TO gives each client its own WebSocket, as websocat does: each line a client sends is a text
              message (--binary: each read one binary message), and each message comes back as a line (--binary: as is).
              ws:// or wss:// FROM does the reverse, as websockify does: each WebSocket gets its own connection to TO.

            Examples:
              sockcat relay tcp://0.0.0.0:8080 tcp://10.0.0.5:80
              sockcat relay tcp://127.0.0.1:5432 unix:///var/run/postgresql/.s.PGSQL.5432
              sockcat relay tls://0.0.0.0:8443 tcp://127.0.0.1:8080 --cert cert.pem --key key.pem
              sockcat relay tcp://127.0.0.1:6379 tls://redis.example.com:6380
              sockcat relay tcp://127.0.0.1:9000 tls://10.0.0.5:9443 --fingerprint 3A:1F:…:C4
              sockcat relay tcp://127.0.0.1:5000 ws://10.0.0.5:8080/feed
              sockcat relay ws://0.0.0.0:8080/ tcp://127.0.0.1:6379 --binary

            Stop with Ctrl+C: it stops accepting, lets relays finish for --drain seconds, and prints a summary.
            """);
        options.AddTo(command);
        command.Arguments.Add(to);
        command.Options.Add(insecure);
        command.Options.Add(fingerprint);
        command.Options.Add(timeout);
        command.Options.Add(splice);
        webSocket.AddTo(command);
        proxy.AddTo(command);
        command.SetAction((parseResult, cancellationToken) =>
        {
            var stderr = parseResult.InvocationConfiguration.Error;
            var listen = parseResult.GetValue(from)![0];
            if (EndpointUrl.TryParse(listen, out var fromUrl, out _) && fromUrl!.Scheme is not (EndpointScheme.Tcp or EndpointScheme.Unix or EndpointScheme.Tls or EndpointScheme.WebSocket or EndpointScheme.WebSocketSecure))
            {
                stderr.WriteLine($"sockcat: relay accepts byte streams and WebSockets, and {fromUrl} is neither; give FROM as tcp://HOST:PORT, unix:///PATH, tls://HOST:PORT or ws://HOST:PORT/PATH");
                return Task.FromResult(ExitCodes.Usage);
            }

            var text = parseResult.GetValue(to)!;
            if (!EndpointUrl.TryParse(text, out var target, out var error))
            {
                stderr.WriteLine($"sockcat: {error}");
                return Task.FromResult(ExitCodes.Usage);
            }

            if (Check(target!, parseResult.GetValue(insecure), parseResult.GetValue(fingerprint)) is { } problem)
            {
                stderr.WriteLine($"sockcat: {problem}");
                return Task.FromResult(ExitCodes.Usage);
            }

            var isWebSocket = target!.Scheme is EndpointScheme.WebSocket or EndpointScheme.WebSocketSecure;
            var fromWebSocket = fromUrl?.Scheme is EndpointScheme.WebSocket or EndpointScheme.WebSocketSecure;
            if (fromWebSocket && isWebSocket)
            {
                stderr.WriteLine($"sockcat: relay joins a WebSocket to a byte stream, and both {fromUrl} and {target} are WebSockets; give one side as tcp://, unix:// or tls://");
                return Task.FromResult(ExitCodes.Usage);
            }

            var settings = webSocket.Read(parseResult);
            Microsoft.Extensions.Logging.ILogger? relayLogger = null;
            if (fromWebSocket && (settings.Headers.Count > 0 || settings.Origin is not null || settings.SubProtocols.Count > 0))
            {
                stderr.WriteLine($"sockcat: --header, --origin and --subprotocol are for a ws:// or wss:// TO, and {target} is not one; leave them out");
                return Task.FromResult(ExitCodes.Usage);
            }

            if (!isWebSocket && !fromWebSocket && settings.Given is { } wsOption)
            {
                stderr.WriteLine($"sockcat: {wsOption} is for a ws:// or wss:// TO, and {target} is not one; leave {wsOption} out");
                return Task.FromResult(ExitCodes.Usage);
            }

            var connect = new ConnectOptions
            {
                AllowUntrustedCertificate = parseResult.GetValue(insecure),
                CertificateFingerprint = parseResult.GetValue(fingerprint),
                Timeout = CommonOptions.ToTimeSpan(parseResult.GetValue(timeout)) ?? ConnectOptions.DefaultTimeout,
                Proxy = ReadProxy(parseResult, proxy, target),
            };
            return options.RunAsync(
                parseResult,
                (Microsoft.Extensions.Logging.ILoggerFactory loggers) =>
                {
                    relayLogger = loggers.CreateLogger("SockCat.Relay");
                    return isWebSocket
                    ? new WebSocketRelay(target, new WebSocketConnectOptions
                    {
                        Connect = connect,
                        Headers = settings.Headers,
                        Origin = settings.Origin,
                        SubProtocols = settings.SubProtocols,
                    }, settings.Binary, relayLogger).CreateProtocol
                    : (Func<IConnection, IConnectionProtocol>)new RelayService(fromWebSocket ? EndpointUrl.Parse("tcp://127.0.0.1:1") : target!, connect, relayLogger)
                    {
                        Splice = parseResult.GetValue(splice),
                    }.CreateProtocol;
                },
                serverOptions =>
                {
                    if (fromWebSocket)
                    {
                        // Routes are mapped when the server starts, after the log exists.
                        serverOptions.Web.MapRoutes = (routes, listener) => routes.MapWebSocketMessages(
                            listener.Path, new WebSocketToStreamRelay(target, connect, settings.Binary, relayLogger!).CreateHandler);
                    }

                    // A relay holds two descriptors, the client's and TO's (six with --splice: a pipe's two ends per
                    // direction): by default, room for a half (a sixth) as many clients.
                    if (serverOptions.MaxConnections is null && OpenFileLimit.Current is { } limit)
                    {
                        var perRelay = parseResult.GetValue(splice) ? 6 : 2;
                        serverOptions.MaxConnections = Math.Max(1, OpenFileLimit.ConnectionsAllowed(limit) / perRelay);
                    }
                },
                cancellationToken);
        });
        return command;
    }

    /// <summary>The proxy TO is reached through: said once on stderr, as each relay's log line names TO alone.</summary>
    private static Client.Proxy.ProxyUrl? ReadProxy(ParseResult parseResult, ProxyOptions proxy, EndpointUrl target)
    {
        if (proxy.Read(parseResult, target) is not { } choice)
        {
            return null;
        }

        CommonOptions.ErrorWriter(parseResult).WriteLine($"sockcat: relaying to {target} {choice}");
        return choice.Url;
    }

    /// <summary>What is wrong with TO and the outbound flags, worded for the user; null when nothing is.</summary>
    private static string? Check(EndpointUrl target, bool insecure, string? fingerprint)
    {
        if (target.Scheme is not (EndpointScheme.Tcp or EndpointScheme.Unix or EndpointScheme.Tls or EndpointScheme.WebSocket or EndpointScheme.WebSocketSecure))
        {
            return $"relay carries a byte stream, and {target} is not one; give TO as tcp://HOST:PORT, unix:///PATH, tls://HOST:PORT or ws://HOST:PORT/PATH";
        }

        if (target.Scheme != EndpointScheme.Unix && target.Port == 0)
        {
            return $"TO {target} has port 0, which only means something when listening; give the target's port, e.g. {EndpointUrl.SchemeName(target.Scheme)}://{target.Host}:80";
        }

        if (fingerprint is not null && !CertificateFingerprint.TryParse(fingerprint, out _))
        {
            return $"--fingerprint '{fingerprint}' is not a SHA-256 fingerprint; give 64 hex digits, colons optional (openssl x509 -noout -fingerprint -sha256 -in cert.pem)";
        }

        if ((insecure || fingerprint is not null) && target.Scheme is not (EndpointScheme.Tls or EndpointScheme.WebSocketSecure))
        {
            return $"--insecure and --fingerprint are for a tls:// TO, and {target} is not one; use tls://{target.Host}:{target.Port}";
        }

        return null;
    }
}
