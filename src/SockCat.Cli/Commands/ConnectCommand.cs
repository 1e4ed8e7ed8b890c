using System.CommandLine;
using SockCat.Client;
using SockCat.Endpoints;

namespace SockCat.Cli.Commands;

/// <summary>`sockcat connect URL`: nc/ncat's connect mode, over the library's <see cref="SocketClient"/>.</summary>
internal static class ConnectCommand
{
    public static Command Create()
    {
        var url = CommonOptions.Url("Where to connect: tcp://host:port, tls://host:port, unix:///path, udp://host:port, or host:port");
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

        var command = new Command("connect", "Connect to a socket and join it to stdin and stdout, as nc does");
        VerbHelp.Add(command, """
            Details:
              Bytes pass unchanged both ways, so binary data is safe. When stdin ends, sockcat
              half-closes the connection (the server reads end of file) and keeps printing what
              the server sends until it closes. tls:// checks the server's certificate and name
              unless --insecure or --fingerprint says otherwise. For udp://, each line of stdin is
              one datagram and each reply is printed; sockcat ends a second after stdin ends.

            Examples:
              sockcat connect tcp://127.0.0.1:4444
              sockcat connect tcp://example.com:80 --send "GET / HTTP/1.1\r\nHost: example.com\r\n\r\n"
              sockcat connect localhost:9000 < file.bin
              sockcat connect tls://127.0.0.1:8443 --fingerprint 3A:1F:...:C4
              echo hello | sockcat connect udp://127.0.0.1:5353
              sockcat connect unix:///run/app.sock --idle-timeout 10

            Exit status:
              0 closed cleanly, 2 bad usage, 3 could not connect, 4 connection lost or idle,
              6 TLS failed (docs/cli.md)
            """);
        command.Arguments.Add(url);
        command.Options.Add(send);
        command.Options.Add(crlf);
        command.Options.Add(timeout);
        command.Options.Add(idleTimeout);
        command.Options.Add(insecure);
        command.Options.Add(fingerprint);

        command.SetAction((parseResult, cancellationToken) => RunAsync(new ConnectSettings(
            CommonOptions.ParseUrl(parseResult.GetValue(url)),
            parseResult.GetValue(send) is { } text ? DecodeSend(text) : null,
            parseResult.GetValue(crlf),
            CommonOptions.ToTimeSpan(parseResult.GetValue(timeout)) ?? ConnectOptions.DefaultTimeout,
            CommonOptions.ToTimeSpan(parseResult.GetValue(idleTimeout)),
            parseResult.GetValue(insecure),
            parseResult.GetValue(fingerprint)), CommonOptions.ErrorWriter(parseResult), cancellationToken));
        return command;
    }

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

    private static async Task<int> RunAsync(ConnectSettings settings, TextWriter error, CancellationToken cancellationToken)
    {
        if (settings.Fingerprint is { } fp && !CertificateFingerprint.TryParse(fp, out _))
        {
            throw new CliException($"--fingerprint '{fp}' is not a SHA-256 fingerprint; give 64 hex digits, colons optional (openssl x509 -noout -fingerprint -sha256 -in cert.pem)", ExitCodes.Usage);
        }

        if ((settings.Insecure || settings.Fingerprint is not null) && settings.Url.Scheme != EndpointScheme.Tls)
        {
            throw new CliException($"--insecure and --fingerprint are for tls:// endpoints, and {settings.Url} is not one; use tls://{settings.Url.Host}:{settings.Url.Port}", ExitCodes.Usage);
        }

        var options = new ConnectOptions
        {
            Timeout = settings.Timeout,
            AllowUntrustedCertificate = settings.Insecure,
            CertificateFingerprint = settings.Fingerprint,
        };

        var console = ConsoleStreams.Current;
        try
        {
            await using var connection = await SocketClient.ConnectAsync(settings.Url, options, cancellationToken).ConfigureAwait(false);
            var input = settings.Send is null ? new StdinSource(console.OpenInput(), settings.Crlf) : null;
            var output = console.OpenOutput();
            var send = settings.Send ?? ReadOnlyMemory<byte>.Empty;
            var end = connection.IsDatagram
                ? await ConsoleBridge.RunDatagramAsync(connection, input, send, output, settings.IdleTimeout, cancellationToken).ConfigureAwait(false)
                : await ConsoleBridge.RunStreamAsync(
                    connection.Stream,
                    () => ShutdownAsync(connection),
                    input,
                    send,
                    output,
                    settings.IdleTimeout,
                    settings.Url.ToString(),
                    cancellationToken).ConfigureAwait(false);

            if (end == BridgeEnd.Idle)
            {
                await error.WriteLineAsync($"sockcat: nothing sent or received for {CommonOptions.Seconds(settings.IdleTimeout!.Value)}, closing {settings.Url} (--idle-timeout)").ConfigureAwait(false);
                return ExitCodes.ConnectionLost;
            }

            return ExitCodes.Success;
        }
        catch (OperationCanceledException) when (cancellationToken.IsCancellationRequested)
        {
            // Ctrl+C ends a session the user chose to end.
            return ExitCodes.Success;
        }
    }

    private static async ValueTask ShutdownAsync(ClientConnection connection)
    {
        try
        {
            await connection.ShutdownSendAsync().ConfigureAwait(false);
        }
        catch (Exception ex) when (ex is IOException or System.Net.Sockets.SocketException or ObjectDisposedException)
        {
            // The peer is already gone; the receive side reports how.
        }
    }

    private sealed record ConnectSettings(
        EndpointUrl Url,
        byte[]? Send,
        bool Crlf,
        TimeSpan Timeout,
        TimeSpan? IdleTimeout,
        bool Insecure,
        string? Fingerprint);
}
