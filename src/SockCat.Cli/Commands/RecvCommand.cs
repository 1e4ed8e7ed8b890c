using System.CommandLine;
using SockCat.Server;
using SockCat.Services.Transfer;

namespace SockCat.Cli.Commands;

/// <summary>
/// <c>sockcat recv URL --dir DIR</c>: many uploads at once, each stored atomically and verified when the sender says how
/// (docs/transfer.md); <c>--stdout</c>: one stream passed on to standard output, as <c>nc -l</c> would, then exit.
/// </summary>
internal static class RecvCommand
{
    public static Command Create()
    {
        var options = new ServeOptions();
        var dir = new Option<string?>("--dir", "-d")
        {
            HelpName = "DIR",
            Description = "Store each upload in DIR (it must exist): under the sender's name, or job-TIME-PEER.bin for bare bytes",
        };
        var toStdout = new Option<bool>("--stdout")
        {
            Description = "Pass one upload's bytes on to stdout instead (logs go to stderr), then exit: sockcat recv tcp://0.0.0.0:9000 --stdout | ffplay -",
        };
        var overwrite = new Option<bool>("--overwrite")
        {
            Description = "Replace a file of the same name (atomically) instead of storing under a numbered name (report-1.pdf)",
        };
        var maxSize = new Option<string?>("--max-size")
        {
            HelpName = "BYTES",
            Description = "Refuse uploads larger than BYTES (512K, 100M, 2G: powers of 1024) [default: no limit]",
        };

        var command = new Command("recv", "Receive uploads from many clients at once, each stored whole and verified, or refused with a reason");
        VerbHelp.Add(command, """
            Details:
              Each upload is written to a hidden temporary file in DIR, flushed to disk, and
              renamed to its name only when complete (and, from sockcat send, when its SHA-256
              matches): a broken upload leaves nothing behind. Names are plain file names only:
              a path, .., a backslash, a control character, a leading dot or over 255 bytes is
              refused with an error to the sender. nc, a print driver or CUPS' socket backend
              sending bare bytes is stored as job-TIME-PEER.bin. The protocol: docs/transfer.md.

            Examples:
              sockcat recv tcp://0.0.0.0:9000 --dir /srv/incoming
              sockcat recv tcp://0.0.0.0:9100 --dir /srv/print-jobs      stand in for a printer
              sockcat recv tcp://0.0.0.0:9000 --stdout | ffplay -         play a stream as it comes
              sockcat send tcp://host:9000 report.pdf                     (the sender's side)

            Exit status:
              0 stopped by Ctrl+C or SIGTERM (--stdout: the upload arrived whole), 2 bad usage,
              5 could not listen, 7 --stdout: the upload was broken or refused (docs/cli.md)
            """);
        options.AddTo(command);
        command.Options.Add(dir);
        command.Options.Add(toStdout);
        command.Options.Add(overwrite);
        command.Options.Add(maxSize);
        command.SetAction(async (parseResult, cancellationToken) =>
        {
            var stderr = parseResult.InvocationConfiguration.Error;
            int Usage(string message)
            {
                stderr.WriteLine($"sockcat: {message}");
                return ExitCodes.Usage;
            }

            var directory = parseResult.GetValue(dir);
            var passOn = parseResult.GetValue(toStdout);
            if (directory is null == !passOn)
            {
                return Usage(passOn
                    ? "--dir and --stdout exclude each other; give one: --dir to store uploads, --stdout to pass one on"
                    : "where should uploads go? give --dir DIR (an existing directory) or --stdout");
            }

            if (directory is not null && !Directory.Exists(directory))
            {
                return Usage(File.Exists(directory)
                    ? $"--dir {directory} is a file, not a directory; give a directory"
                    : $"--dir {directory} does not exist; create it first (mkdir -p {directory})");
            }

            long? limit = null;
            if (parseResult.GetValue(maxSize) is { } sizeText)
            {
                if (!ByteSize.TryParse(sizeText, out var bytes) || bytes < 1)
                {
                    return Usage($"--max-size '{sizeText}' is not a size; give bytes, or a number with K, M or G: --max-size 100M");
                }

                limit = bytes;
            }

            var receiveOptions = new ReceiveOptions
            {
                Directory = directory,
                Overwrite = parseResult.GetValue(overwrite),
                MaxSize = limit,
            };

            // One upload and exit: stop the server when it has ended.
            using var firstDone = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
            Stream? stdout = null;
            if (passOn)
            {
                stdout = ConsoleStreams.Current.OpenOutput();
                receiveOptions.Output = stdout;
                // The bytes own stdout: the log lines go to stderr.
                parseResult.InvocationConfiguration.Output = stderr;
            }

            UploadReceiver? receiver = null;
            UploadOutcome? first = null;
            var code = await options.RunAsync(parseResult, c => receiver!.CreateProtocol(c), serverOptions =>
            {
                serverOptions.SingleClient |= passOn;
            }, firstDone.Token, new ServeHooks
            {
                Logging = loggerFactory =>
                {
                    receiver = new UploadReceiver(receiveOptions, loggerFactory);
                    receiver.Finished += outcome =>
                    {
                        if (passOn && Interlocked.CompareExchange(ref first, outcome, null) is null)
                        {
                            firstDone.Cancel();
                        }
                    };
                },
            });
            if (passOn && code == ExitCodes.Success && first is { Verdict.Succeeded: false })
            {
                return ExitCodes.TransferFailed;
            }

            return code;
        });
        return command;
    }
}
