using System.CommandLine;
using System.Diagnostics;
using SockCat.Cli.Transfer;
using SockCat.Client;
using SockCat.Endpoints;
using SockCat.Services.Transfer;
using SockCat.Streams;
using SockCat.Tls;

namespace SockCat.Cli.Commands;

/// <summary>
/// <c>sockcat send URL FILE|-</c>: a file or stdin to any stream endpoint. To a raw port (a printer's 9100, <c>nc -l</c>)
/// bare bytes, then what the device answers; to <c>sockcat recv</c> the transfer protocol (docs/transfer.md), with a
/// SHA-256 the receiver checks and a verdict that decides the exit code.
/// </summary>
internal static class SendCommand
{
    private static readonly TimeSpan GreetingWait = TimeSpan.FromMilliseconds(500);

    public static Command Create()
    {
        var url = CommonOptions.Url("Where to send: tcp://host:port, tls://host:port, unix:///path, or host:port");
        var file = CommonOptions.NoOptions(new Argument<string>("file") { Description = "The file to send, or - for stdin" });
        var name = new Option<string?>("--name")
        {
            HelpName = "NAME",
            Description = "The name the receiver stores it under [default: the file's own name; from stdin, the receiver picks one]",
        };
        var verify = new Option<bool>("--verify")
        {
            Description = "Insist on the transfer protocol: fail unless the receiver is sockcat recv (or speaks docs/transfer.md) and confirms a matching SHA-256",
        };
        var raw = new Option<bool>("--raw")
        {
            Description = "Send bare bytes at once, without waiting to see whether the receiver speaks the transfer protocol",
        };
        var wait = CommonOptions.Seconds(new Option<double?>("--wait")
        {
            HelpName = "seconds",
            Description = "After sending, read the device's answer for at most this long, then stop [default: 10 to a raw port; until the verdict from sockcat recv]",
        });
        var retry = new Option<int>("--retry")
        {
            HelpName = "N",
            Description = "When the connection is refused (a printer busy with another job) or fails in a way that may pass (timed out, unreachable, refused through a proxy), try again up to N times",
        }.Whole(new NumberRule("tries", "5", Min: 0, Max: 100_000));
        var interval = CommonOptions.Seconds(new Option<double?>("--interval")
        {
            HelpName = "seconds",
            Description = "Seconds between --retry attempts [default: 2]",
        }, "2");
        var timeout = CommonOptions.Seconds(new Option<double?>("--timeout", "-w")
        {
            Description = "Give up connecting (name lookup, connect, TLS handshake) after this many seconds [default: 30]",
            HelpName = "seconds",
        });
        var insecure = new Option<bool>("--insecure")
        {
            Description = "tls: accept any certificate, trusted or not (anyone in between can read the traffic)",
        };
        var fingerprint = new Option<string?>("--fingerprint")
        {
            Description = "tls: accept exactly the certificate with this SHA-256 fingerprint (hex, colons optional)",
            HelpName = "sha256",
        };
        var quiet = new Option<bool>("--quiet", "-q")
        {
            Description = "No progress and no summary line (errors still go to stderr)",
        };

        var command = new Command("send", "Send a file or stdin to a socket: a print job to port 9100, a file to sockcat recv (verified), a stream to a server");
        VerbHelp.Add(command, """
            Details:
              To a raw port (a printer's 9100, nc -l) the bytes go as they are; then sockcat
              half-closes and prints what the device answers until it closes or --wait runs
              out. To sockcat recv (seen from its greeting, or forced with --verify) it sends
              a header with the name and size and a SHA-256 trailer computed while sending;
              the receiver checks it and answers, and sockcat exits 0 only when the receiver
              confirmed. Progress goes to stderr: a bar on a terminal, a line each second
              otherwise. The protocol: docs/transfer.md.

            Examples:
              sockcat send tcp://printer.local:9100 report.pcl          print a PCL/PostScript/PDF job
              sockcat send tcp://printer:9100 job.ps --retry 10 --interval 5   wait while the printer is busy
              sockcat send tcp://host:9000 backup.tar --verify          to sockcat recv, verified
              ffmpeg -i in.mp4 -f mpegts - | sockcat send tcp://host:9000 -   a stream from stdin
              sockcat send tls://host:9443 report.pdf --fingerprint 3A:1F:...:C4

            Exit status:
              0 sent (and, to sockcat recv, confirmed), 1 the file could not be read,
              2 bad usage, 3 could not connect (refused after --retry), 4 connection lost,
              6 TLS failed, 7 the receiver refused the upload or could not verify it,
              8-11 through --proxy: unreachable, login refused, target unreachable, not a proxy,
              130 Ctrl+C, 143 SIGTERM (docs/cli.md)
            """);
        command.Arguments.Add(url);
        command.Arguments.Add(file);
        command.Options.Add(name);
        command.Options.Add(verify);
        command.Options.Add(raw);
        command.Options.Add(wait);
        command.Options.Add(retry);
        command.Options.Add(interval);
        command.Options.Add(timeout);
        command.Options.Add(insecure);
        command.Options.Add(fingerprint);
        command.Options.Add(quiet);
        var proxy = new ProxyOptions();
        proxy.AddTo(command);
        command.SetAction((parseResult, cancellationToken) => RunAsync(
            WithProxy(parseResult, proxy, new SendSettings(
                CommonOptions.ParseUrl(parseResult.GetValue(url)),
                parseResult.GetValue(file)!,
                parseResult.GetValue(name),
                parseResult.GetValue(verify),
                parseResult.GetValue(raw),
                CommonOptions.ToTimeSpan(parseResult.GetValue(wait)),
                parseResult.GetValue(retry),
                CommonOptions.ToTimeSpan(parseResult.GetValue(interval)) ?? TimeSpan.FromSeconds(2),
                CommonOptions.ToTimeSpan(parseResult.GetValue(timeout)) ?? ConnectOptions.DefaultTimeout,
                parseResult.GetValue(insecure),
                parseResult.GetValue(fingerprint),
                parseResult.GetValue(quiet))),
            CommonOptions.ErrorWriter(parseResult),
            StopSignals.Register(parseResult, cancellationToken)));
        return command;
    }

    private static SendSettings WithProxy(ParseResult parseResult, ProxyOptions proxy, SendSettings settings) =>
        settings with { Proxy = proxy.Read(parseResult, settings.Url) };

    private static async Task<int> RunAsync(SendSettings settings, TextWriter error, StopSignals signals)
    {
        using var signalHandlers = signals;
        Check(settings);
        var (source, size, defaultName) = OpenSource(settings.File);
        await using var _ = source.ConfigureAwait(false);
        var peerName = settings.Url.ToString();
        var connection = await ConnectAsync(settings, error, signals.Stop).ConfigureAwait(false);
        if (connection is null)
        {
            return signals.ExitCode;
        }

        await using (connection.ConfigureAwait(false))
        {
            var greeting = settings.Raw
                ? new ReceiverGreeting(connection.Stream, false, false)
                : await ReceiverGreeting.ReadAsync(connection.Stream, settings.Verify ? settings.Timeout : GreetingWait, wantFeatures: size is null, signals.Stop).ConfigureAwait(false);
            if (greeting is null)
            {
                return signals.ExitCode;
            }

            var (peer, speaksProtocol, chunked) = greeting;
            if (settings.Verify && !speaksProtocol)
            {
                throw new CliException($"{peerName} is not sockcat recv: it sent no greeting within {CommonOptions.Seconds(settings.Timeout)}; leave out --verify to send bare bytes (a printer, nc -l), or check the port", ExitCodes.TransferFailed);
            }

            // Without a size, chunks tell the receiver where the stream ends; a receiver that does not read them (older than
            // the features line) learns it from our half-close, as before.
            var header = speaksProtocol ? new TransferHeader(settings.Name ?? defaultName, size, chunked) : null;
            await using var upload = new UploadStream(source, header, leaveOpen: true);
            var verdict = speaksProtocol ? new VerdictStream() : null;
            Stream output = verdict is null ? ConsoleStreams.Current.OpenOutput() : verdict;
            var options = new StreamBridgeOptions
            {
                BufferSize = 256 * 1024,
                QuitAfterInputEnd = settings.Wait ?? (speaksProtocol ? null : TimeSpan.FromSeconds(10)),
                // With a size or chunks the receiver knows the end without our FIN, and waits for none: a tls:// receiver
                // on Kestrel's sockets (--transport kestrel, or a build from before the loop hosted tls) takes a half-close
                // for a close, before it could answer.
                HalfClose = header is null || (header.Size is null && !header.Chunked),
            };
            var clock = Stopwatch.StartNew();
            var label = header?.Name ?? (settings.File == "-" ? "stdin" : Path.GetFileName(settings.File));
            var result = await SendProgress.RunAsync(
                () => StreamBridge.RunAsync(upload, output, peer, connection.ShutdownSendAsync, options, signals.Stop),
                () => upload.PayloadBytes,
                size,
                label,
                settings.Quiet,
                error).ConfigureAwait(false);
            clock.Stop();
            return verdict is null
                ? await RawOutcomeAsync(result, upload, settings, peerName, clock.Elapsed, error, signals).ConfigureAwait(false)
                : await VerdictOutcomeAsync(result, verdict, upload, settings, label, peerName, clock.Elapsed, error, signals).ConfigureAwait(false);
        }
    }

    private static void Check(SendSettings settings)
    {
        if (settings.Url.Scheme is not (EndpointScheme.Tcp or EndpointScheme.Tls or EndpointScheme.Unix))
        {
            throw new CliException($"send needs a stream endpoint, and {settings.Url} is not one; use tcp://, tls:// or unix://", ExitCodes.Usage);
        }

        if (settings.Verify && settings.Raw)
        {
            throw new CliException("--verify and --raw exclude each other: --raw sends bare bytes, which nothing verifies; give one of them", ExitCodes.Usage);
        }

        if (settings.Fingerprint is { } fp && !CertificateFingerprint.TryParse(fp, out _))
        {
            throw new CliException($"--fingerprint '{fp}' is not a SHA-256 fingerprint; give 64 hex digits, colons optional (openssl x509 -noout -fingerprint -sha256 -in cert.pem)", ExitCodes.Usage);
        }

        if ((settings.Insecure || settings.Fingerprint is not null) && settings.Url.Scheme != EndpointScheme.Tls)
        {
            throw new CliException($"--insecure and --fingerprint are for tls:// endpoints, and {settings.Url} is not one; use tls://{settings.Url.Host}:{settings.Url.Port}", ExitCodes.Usage);
        }

        if (settings.Name is { } name && TransferNames.Problem(name) is { } problem)
        {
            throw new CliException($"--name: {problem}; give a plain file name such as report.pdf", ExitCodes.Usage);
        }
    }

    private static (Stream Source, long? Size, string? Name) OpenSource(string path)
    {
        if (path == "-")
        {
            return (ConsoleStreams.Current.OpenInput(), null, null);
        }

        try
        {
            var stream = new FileStream(path, FileMode.Open, FileAccess.Read, FileShare.Read, bufferSize: 0, FileOptions.SequentialScan);
            // A pipe or a device (/dev/stdin, a FIFO) has no length to promise.
            long? size = stream.CanSeek ? stream.Length : null;
            return (stream, size, Path.GetFileName(path));
        }
        catch (FileNotFoundException)
        {
            throw new CliException($"{path}: no such file; check the path, or give - to send stdin", ExitCodes.Failure);
        }
        catch (DirectoryNotFoundException)
        {
            throw new CliException($"{path}: no such file or directory; check the path", ExitCodes.Failure);
        }
        catch (UnauthorizedAccessException)
        {
            throw new CliException(Directory.Exists(path) ? $"{path} is a directory; send one file (tar it first: tar cf - {path} | sockcat send URL -)" : $"{path}: permission denied; check who may read it", ExitCodes.Failure);
        }
        catch (IOException e)
        {
            throw new CliException($"cannot read {path}: {e.Message.TrimEnd('.')}; check the file", ExitCodes.Failure);
        }
    }

    /// <summary>
    /// Connects, trying again --retry times through the library's own retries (<see cref="ConnectOptions.Retries"/>, as
    /// connect --retry): a refusal (a printer busy with another job), and the other failures that may pass, a refusal
    /// through a proxy among them. Null when stopped by a signal.
    /// </summary>
    private static async Task<ClientConnection?> ConnectAsync(SendSettings settings, TextWriter error, CancellationToken stop)
    {
        var options = new ConnectOptions
        {
            Timeout = settings.Timeout,
            AllowUntrustedCertificate = settings.Insecure,
            CertificateFingerprint = settings.Fingerprint,
            Proxy = settings.Proxy?.Url,
            Retries = settings.Retry,
            RetryInterval = settings.Interval,
            OnRetry = settings.Quiet ? null : (failure, attempt, wait) => error.WriteLine(failure.Failure == ConnectFailure.Refused
                ? $"sockcat: {settings.Url} refused the connection (busy?); trying again in {CommonOptions.Seconds(wait)} ({attempt} of {settings.Retry})"
                : $"sockcat: {failure.Message}; trying again in {CommonOptions.Seconds(wait)} ({attempt} of {settings.Retry})"),
        };
        try
        {
            return await SocketClient.ConnectAsync(settings.Url, options, stop).ConfigureAwait(false);
        }
        catch (OperationCanceledException) when (stop.IsCancellationRequested)
        {
            return null;
        }
        catch (ConnectException e) when (e.Failure == ConnectFailure.Refused && settings.Retry > 0)
        {
            throw new CliException(
                $"{settings.Url} refused the connection {settings.Retry + 1} times over {CommonOptions.Seconds(settings.Interval * settings.Retry)} (a printer busy with another job, or nothing listening); try again later, or raise --retry or --interval",
                ExitCodes.ConnectFailed,
                e);
        }
    }

    /// <summary>Ctrl+C or SIGTERM mid-transfer: one line on what got where (unless --quiet), and the signal's exit code.</summary>
    private static async Task<int> StoppedAsync(SendSettings settings, TextWriter error, StopSignals signals, string what)
    {
        if (!settings.Quiet)
        {
            await error.WriteLineAsync($"sockcat: stopped {what}").ConfigureAwait(false);
        }

        return signals.ExitCode;
    }

    private static async Task<int> RawOutcomeAsync(StreamBridgeResult result, UploadStream upload, SendSettings settings, string peerName, TimeSpan took, TextWriter error, StopSignals signals)
    {
        switch (result.Outcome)
        {
            case StreamBridgeOutcome.Cancelled:
                return await StoppedAsync(settings, error, signals, $"after {upload.PayloadBytes} bytes to {peerName}; the device may have received part of it").ConfigureAwait(false);
            case StreamBridgeOutcome.Completed or StreamBridgeOutcome.QuitAfterInputEnd:
                if (!settings.Quiet)
                {
                    var sha = upload.Sha256 is { } digest ? $", sha256 {Convert.ToHexStringLower(digest)}" : "";
                    var waited = result.Outcome == StreamBridgeOutcome.QuitAfterInputEnd ? $"; it was still open after --wait {CommonOptions.Seconds(settings.Wait ?? TimeSpan.FromSeconds(10))}" : "";
                    await error.WriteLineAsync($"sockcat: sent {upload.PayloadBytes} bytes to {peerName} in {CommonOptions.Seconds(took)}{sha}{waited}").ConfigureAwait(false);
                }

                return ExitCodes.Success;
            case StreamBridgeOutcome.InputFailed:
                throw new CliException($"cannot read {(settings.File == "-" ? "stdin" : settings.File)}: {result.Error!.Message.TrimEnd('.')}; {upload.PayloadBytes} bytes were sent before it failed", ExitCodes.Failure, result.Error);
            case StreamBridgeOutcome.PeerFailed:
                var lost = BridgeReport.ConnectionLost(peerName, result.Error!);
                throw new CliException($"{lost.Message}, after {upload.PayloadBytes} bytes{(result.InputEnded ? " (all of them sent)" : "")}; the device may not have it all", ExitCodes.ConnectionLost, result.Error);
            default:
                throw new CliException($"cannot write the device's answer to stdout: {result.Error?.Message.TrimEnd('.')}; check where stdout goes", ExitCodes.Failure, result.Error);
        }
    }

    private static async Task<int> VerdictOutcomeAsync(
        StreamBridgeResult result, VerdictStream verdictStream, UploadStream upload, SendSettings settings, string label, string peerName, TimeSpan took, TextWriter error, StopSignals signals)
    {
        if (result.Outcome == StreamBridgeOutcome.Cancelled)
        {
            return await StoppedAsync(settings, error, signals, $"after {upload.PayloadBytes} bytes of {label}; the receiver keeps nothing of an unfinished upload").ConfigureAwait(false);
        }

        if (result.Outcome == StreamBridgeOutcome.InputFailed)
        {
            throw new CliException($"cannot read {(settings.File == "-" ? "stdin" : settings.File)}: {result.Error!.Message.TrimEnd('.')}; the receiver will not keep the part sent", ExitCodes.Failure, result.Error);
        }

        var verdict = verdictStream.Verdict;
        if (verdict is null)
        {
            if (result.Outcome == StreamBridgeOutcome.PeerFailed)
            {
                var lost = BridgeReport.ConnectionLost(peerName, result.Error!);
                throw new CliException($"{lost.Message} after {upload.PayloadBytes} bytes of {label}; the receiver keeps nothing of a broken upload, send it again", ExitCodes.ConnectionLost, result.Error);
            }

            if (result.Outcome == StreamBridgeOutcome.QuitAfterInputEnd)
            {
                throw new CliException($"{peerName} gave no verdict on {label} within --wait {CommonOptions.Seconds(settings.Wait!.Value)}; it may still be storing it: look on the receiver, or wait longer", ExitCodes.TransferFailed);
            }

            throw new CliException($"{peerName} closed the connection without a verdict on {label}; it was not confirmed, look on the receiver or send it again", ExitCodes.ConnectionLost);
        }

        if (!verdict.Succeeded)
        {
            throw new CliException($"{peerName} refused {label}: {verdict.Message} ({verdict.Error}); {Remedy(verdict.Error)}", ExitCodes.TransferFailed);
        }

        var ours = Convert.ToHexStringLower(upload.Sha256 ?? []);
        if (verdict.Sha256 != ours || verdict.Size != upload.PayloadBytes)
        {
            throw new CliException($"{peerName} stored {verdict.Size} bytes with sha256 {verdict.Sha256}, but {upload.PayloadBytes} bytes with sha256 {ours} were sent; send it again", ExitCodes.TransferFailed);
        }

        if (!settings.Quiet)
        {
            var stored = verdict.Name == "-" ? "passed on" : verdict.Name == label ? "saved" : $"saved as {verdict.Name}";
            await error.WriteLineAsync($"sockcat: sent {label} ({upload.PayloadBytes} bytes) to {peerName} in {CommonOptions.Seconds(took)}: {stored}, sha256 {ours} verified").ConfigureAwait(false);
        }

        return ExitCodes.Success;
    }

    private static string Remedy(string? error) => error switch
    {
        TransferError.Name => "send it under a plain file name with --name",
        TransferError.TooLarge => "the receiver's --max-size is lower; ask for it to be raised, or split the file",
        TransferError.DiskFull => "the receiver needs free space before it can take this",
        TransferError.Checksum or TransferError.Truncated => "the bytes were damaged or cut on the way; send it again",
        _ => "see the receiver's log",
    };

    private sealed record SendSettings(
        EndpointUrl Url,
        string File,
        string? Name,
        bool Verify,
        bool Raw,
        TimeSpan? Wait,
        int Retry,
        TimeSpan Interval,
        TimeSpan Timeout,
        bool Insecure,
        string? Fingerprint,
        bool Quiet,
        ProxyChoice? Proxy = null);
}
