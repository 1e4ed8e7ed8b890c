using System.CommandLine;
using System.Net;
using System.Net.Security;
using System.Net.Sockets;
using System.Security.Authentication;
using SockCat.Endpoints;
using SockCat.Server;
using SockCat.Server.Access;
using SockCat.Server.Tls;
using SockCat.Streams;

namespace SockCat.Cli.Commands;

/// <summary>
/// `sockcat listen URL`: nc -l. Accepts one client at a time (tcp, unix, tls) and joins it to stdin and stdout; for udp
/// the first sender is the peer (ListenDatagram).
/// </summary>
internal static class ListenCommand
{
    public static Command Create()
    {
        var url = CommonOptions.Url("Where to listen: tcp://host:port (port 0 picks a free one), tls://host:port, udp://host:port, unix:///path, host:port, or PORT alone (every IPv4 address, as nc -l PORT)");
        var keepOpen = new Option<bool>("--keep-open", "-k")
        {
            Description = "When a client leaves, wait for the next one instead of exiting",
        };
        var crlf = CommonOptions.Crlf();
        var idleTimeout = CommonOptions.IdleTimeout();

        var bridge = new BridgeOptions();
        var addresses = new AddressOptions();
        var listener = new ListenerOptions(server: false);

        var command = new Command("listen", "Wait for a client and join it to stdin and stdout, as nc -l does");
        VerbHelp.Add(command, """
            Details:
              Bytes pass unchanged both ways. Each direction ends on its own: when stdin
              ends, sockcat half-closes the connection and keeps printing what the client
              sends; when the client closes its side, sockcat keeps sending stdin. It exits
              when both have ended, or with --keep-open waits for the next client (a client
              that leaves while stdin is quiet ends its turn). Port 0 picks a free port and
              prints it on stderr. A unix socket file is removed on exit, even on Ctrl+C or
              SIGTERM; one left by a server that died is replaced; a file or directory
              that is not a socket is never touched.
              tls:// presents --cert/--key, or a self-signed certificate whose SHA-256
              fingerprint is printed (for sockcat connect --fingerprint); stdin's end sends
              TLS close_notify, then half-closes. udp://, as nc -u -l: the first datagram's
              sender is the peer; its datagrams are printed, each line of stdin goes back
              to it as one datagram, until Ctrl+C, -q or --idle-timeout. A client refused
              by --allow/--deny, or whose TLS handshake fails, is closed and sockcat waits
              for the next.

            Examples:
              sockcat listen tcp://0.0.0.0:9000 > received.bin    receive one file
              sockcat listen 9000 > received.bin                   the same, as nc -l 9000
              sockcat listen tcp://127.0.0.1:0                     print the port chosen
              sockcat listen -k unix:///tmp/app.sock               serve client after client
              sockcat listen tls://0.0.0.0:8443                    self-signed; prints its fingerprint
              sockcat listen udp://127.0.0.1:5353                  as nc -u -l
              sockcat listen -v --allow 10.0.0.0/8 9000            others are refused, said with -v

            Exit status:
              0 both directions ended cleanly, 1 stdout or stdin failed, 2 bad usage,
              4 connection lost or idle, 5 could not listen (or load --cert), 130 Ctrl+C,
              141 stdout's reader went away, 143 SIGTERM (docs/cli.md)
            """);
        command.Arguments.Add(url);
        addresses.AddTo(command);
        command.Options.Add(keepOpen);
        command.Options.Add(crlf);
        command.Options.Add(idleTimeout);

        bridge.AddTo(command);
        listener.AddTo(command);

        command.SetAction((parseResult, cancellationToken) =>
        {
            var family = addresses.ReadFamily(parseResult);
            var (certificate, key) = listener.ReadCertificatePaths(parseResult);
            return RunAsync(
                new ListenSettings(
                    addresses.ReadUrl(parseResult, parseResult.GetValue(url) ?? "", family, listen: true),
                    family,
                    parseResult.GetValue(keepOpen),
                    parseResult.GetValue(crlf),
                    bridge.Read(parseResult, CommonOptions.ToTimeSpan(parseResult.GetValue(idleTimeout))),
                    parseResult.GetValue(bridge.Verbose),
                    listener.ReadAccess(parseResult),
                    certificate,
                    key),
                CommonOptions.ErrorWriter(parseResult),
                StopSignals.Register(parseResult, cancellationToken));
        });
        return command;
    }

    private static async Task<int> RunAsync(ListenSettings settings, TextWriter error, StopSignals signals)
    {
        using var signalHandlers = signals;
        var url = settings.Url;
        if (url.Scheme is not (EndpointScheme.Tcp or EndpointScheme.Unix or EndpointScheme.Tls or EndpointScheme.Udp))
        {
            throw new CliException($"listen takes tcp://, tls://, udp:// and unix:// endpoints, and {url} is not one; for a browser-facing server see 'sockcat serve'", ExitCodes.Usage);
        }

        if ((settings.CertificatePath ?? settings.KeyPath) is not null && url.Scheme != EndpointScheme.Tls)
        {
            throw new CliException($"--cert and --key are for tls:// endpoints, and {url} is not one; use tls://{Host(url)}:{url.Port}, or leave them out", ExitCodes.Usage);
        }

        if (settings.Access.HasRules && url.Scheme == EndpointScheme.Unix)
        {
            throw new CliException($"--allow and --deny take IP addresses, and a client of {url} has none; control who may connect with the socket file's permissions", ExitCodes.Usage);
        }

        if (url.Scheme == EndpointScheme.Udp)
        {
            if (settings.KeepOpen)
            {
                throw new CliException("--keep-open is for stream endpoints: a udp:// listener's peer never leaves; for a datagram server with many peers see 'sockcat serve echo udp://…'", ExitCodes.Usage);
            }

            return await ListenDatagram.RunAsync(settings, error, signals).ConfigureAwait(false);
        }

        using var certificate = url.Scheme == EndpointScheme.Tls
            ? await ListenerOptions.LoadCertificateAsync(settings.CertificatePath, settings.KeyPath, error).ConfigureAwait(false)
            : null;
        var tls = certificate?.CreateServerOptions();

        StreamListener listener;
        try
        {
            // tls:// is a tcp listener whose clients are taken through a handshake first.
            listener = StreamListener.Start(tls is null ? url : EndpointUrl.Parse($"tcp://{Host(url)}:{url.Port}"), StreamListener.DefaultBacklog, settings.Family);
        }
        catch (ServerListenException ex)
        {
            throw new CliException(tls is null ? ex.Message : ex.Message.Replace($"tcp://{Host(url)}:", $"tls://{Host(url)}:", StringComparison.Ordinal), ExitCodes.ListenFailed, ex);
        }

        using (listener)
        {
            var listening = tls is null ? listener.Url : url.WithPort(listener.Url.Port);
            var verbose = settings.Verbose;
            if (verbose || (url.Scheme != EndpointScheme.Unix && url.Port == 0))
            {
                await error.WriteLineAsync($"sockcat: listening on {listening}").ConfigureAwait(false);
                await error.FlushAsync(signals.Stop).ConfigureAwait(false);
            }

            // With --keep-open a client that leaves while stdin is quiet ends its turn; a read already pending on stdin
            // is kept for the next client (StdinStream), so nothing typed is lost.
            var bridge = settings.Bridge with { EndWhenPeerEndsWhileInputWaits = settings.KeepOpen };
            var console = ConsoleStreams.Current;
            var input = new StdinStream(console.OpenInput(), settings.Crlf);
            var output = console.OpenOutput();
            while (true)
            {
                Socket client;
                try
                {
                    client = await listener.AcceptAsync(signals.Stop).ConfigureAwait(false);
                }
                catch (OperationCanceledException) when (signals.Stop.IsCancellationRequested)
                {
                    return signals.ExitCode;
                }

                using (client)
                {
                    var peer = PeerName(client.RemoteEndPoint, listening);
                    if (!await AdmitAsync(client, settings.Access, peer, verbose, error).ConfigureAwait(false))
                    {
                        continue;
                    }

                    SslStream? secure = null;
                    if (tls is not null && (secure = await HandshakeAsync(client, tls, peer, error, signals.Stop).ConfigureAwait(false)) is null)
                    {
                        if (signals.Stop.IsCancellationRequested)
                        {
                            return signals.ExitCode;
                        }

                        continue;
                    }

                    if (!settings.KeepOpen)
                    {
                        // As nc -l: one client, and no one else may queue behind it.
                        listener.Dispose();
                    }

                    if (verbose)
                    {
                        await error.WriteLineAsync($"sockcat: connection from {peer}{(secure is null ? "" : $" ({Describe(secure.SslProtocol)})")}").ConfigureAwait(false);
                    }

                    (bridge.Traffic as TrafficDump)?.Begin(peer);
                    StreamBridgeResult result;
                    await using (secure)
                    {
                        result = secure is null
                            ? await StreamBridge.RunAsync(input, output, client, bridge, signals.Stop).ConfigureAwait(false)
                            : await StreamBridge.RunAsync(input, output, secure, async _ =>
                            {
                                // close_notify first, so the client reads a clean end of the TLS stream, then the TCP half-close.
                                await secure.ShutdownAsync().ConfigureAwait(false);
                                client.Shutdown(SocketShutdown.Send);
                            }, bridge, signals.Stop).ConfigureAwait(false);
                    }

                    var code = await BridgeReport.ExitCodeAsync(result, peer, bridge.IdleTimeout, verbose, signals, error).ConfigureAwait(false);
                    // One client's broken or idle connection does not end a --keep-open listener; stdout's or stdin's failure, or a signal, does.
                    var clientsFault = result.Outcome is StreamBridgeOutcome.PeerFailed or StreamBridgeOutcome.IdleTimeout;
                    if (!settings.KeepOpen || (code != ExitCodes.Success && !clientsFault))
                    {
                        return code;
                    }
                }
            }
        }
    }

    /// <summary>--allow/--deny: a refused client is closed before any byte is read or sent, said with -v, and the next one awaited.</summary>
    internal static async Task<bool> AdmitAsync(Socket client, AccessList access, string peer, bool verbose, TextWriter error)
    {
        if (!access.HasRules || client.RemoteEndPoint is not IPEndPoint ip || access.IsAllowed(ip.Address))
        {
            return true;
        }

        if (verbose)
        {
            await error.WriteLineAsync($"sockcat: refused {peer}: not allowed by --allow/--deny").ConfigureAwait(false);
        }

        return false;
    }

    /// <summary>The server handshake, cut after serve's default (10 s); a client that fails it is said in one line and the next one awaited.</summary>
    private static async Task<SslStream?> HandshakeAsync(Socket client, SslServerAuthenticationOptions options, string peer, TextWriter error, CancellationToken cancellationToken)
    {
        var timeout = new ServerOptions().TlsHandshakeTimeout;
        var secure = new SslStream(new NetworkStream(client, ownsSocket: false), leaveInnerStreamOpen: false);
        using var handshake = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        handshake.CancelAfter(timeout);
        try
        {
            await secure.AuthenticateAsServerAsync(options, handshake.Token).ConfigureAwait(false);
            return secure;
        }
        catch (Exception ex) when (ex is AuthenticationException or IOException or OperationCanceledException)
        {
            await secure.DisposeAsync().ConfigureAwait(false);
            if (!cancellationToken.IsCancellationRequested)
            {
                var why = ex is OperationCanceledException
                    ? $"it did not complete within {timeout.TotalSeconds:0.#} s"
                    : (ex.InnerException ?? ex).Message.TrimEnd('.');
                await error.WriteLineAsync($"sockcat: the TLS handshake with {peer} failed: {why}; waiting for the next client").ConfigureAwait(false);
            }

            return null;
        }
    }

    /// <summary>The client's address as a person reads it: an IPv4 client of a dual-stack listener without its ::ffff: prefix.</summary>
    internal static string PeerName(EndPoint? remote, EndpointUrl listening) => remote switch
    {
        IPEndPoint { Address.IsIPv4MappedToIPv6: true } ip => new IPEndPoint(ip.Address.MapToIPv4(), ip.Port).ToString(),
        IPEndPoint ip => ip.ToString(),
        _ => $"a client of {listening}",
    };

    private static string Describe(SslProtocols protocol) => protocol switch
    {
        SslProtocols.Tls13 => "TLS 1.3",
        SslProtocols.Tls12 => "TLS 1.2",
        _ => protocol.ToString(),
    };

    private static string Host(EndpointUrl url) => url.Host.Contains(':') ? $"[{url.Host}]" : url.Host;
}

internal sealed record ListenSettings(
    EndpointUrl Url,
    AddressFamily Family,
    bool KeepOpen,
    bool Crlf,
    StreamBridgeOptions Bridge,
    bool Verbose,
    AccessList Access,
    string? CertificatePath,
    string? KeyPath);
