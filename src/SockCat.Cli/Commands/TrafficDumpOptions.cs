using System.CommandLine;
using SockCat.Streams;

namespace SockCat.Cli.Commands;

/// <summary>
/// `--hexdump [FILE]` and `--log-traffic [FILE]` on connect, listen, relay and the serve verbs, as ncat's --hex-dump and
/// socat's -x / -v. A server dumps every connection into the one dump, each block naming the peer and the connection id.
/// </summary>
internal sealed class TrafficDumpOptions
{
    private const long DefaultMaxBytes = 100L * 1024 * 1024;

    public Option<string?> HexDump { get; } = new("--hexdump")
    {
        HelpName = "FILE",
        Arity = ArgumentArity.ZeroOrOne,
        Description = "Dump both directions as hex and ASCII, timestamped, with offsets, to FILE or to stderr, as ncat --hex-dump",
    };

    public Option<string?> LogTraffic { get; } = new("--log-traffic")
    {
        HelpName = "FILE",
        Arity = ArgumentArity.ZeroOrOne,
        Description = "The same as text (control bytes escaped), as socat -v",
    };

    public Option<long?> MaxBytes { get; } = new Option<long?>("--dump-max")
    {
        HelpName = "BYTES",
        Description = $"Stop dumping after this much dump is written (the connection goes on) [default: {DefaultMaxBytes / 1024 / 1024} MiB]",
    }.Whole(new NumberRule("bytes", "1000000", Min: 1));

    public void AddTo(Command command)
    {
        command.Options.Add(HexDump);
        command.Options.Add(LogTraffic);
        command.Options.Add(MaxBytes);
    }

    /// <summary>The dump the options ask for, or null; its file is opened here (an error is one line, exit 1), and lives as long as the process.</summary>
    public TrafficDump? Open(ParseResult parseResult, TextWriter stderr)
    {
        var hex = parseResult.GetResult(HexDump) is not null;
        var text = parseResult.GetResult(LogTraffic) is not null;
        if (hex && text)
        {
            throw new CliException("--hexdump and --log-traffic exclude each other; give one of them", ExitCodes.Usage);
        }

        if (!hex && !text)
        {
            if (parseResult.GetResult(MaxBytes) is not null)
            {
                throw new CliException("--dump-max bounds --hexdump or --log-traffic, and neither is given; add one of them", ExitCodes.Usage);
            }

            return null;
        }

        var path = parseResult.GetValue(hex ? HexDump : LogTraffic);
        TextWriter writer = stderr;
        if (path is { Length: > 0 } and not "-")
        {
            try
            {
                writer = new StreamWriter(new FileStream(path, FileMode.Append, FileAccess.Write, FileShare.Read), new System.Text.UTF8Encoding(false));
            }
            catch (Exception e) when (e is IOException or UnauthorizedAccessException)
            {
                throw new CliException($"cannot write the traffic dump to {path}: {e.Message.TrimEnd('.')}; check the path and its permissions", ExitCodes.Failure, e);
            }
        }

        return new TrafficDump(writer, "", hex ? TrafficDumpFormat.Hex : TrafficDumpFormat.Text, parseResult.GetValue(MaxBytes) ?? DefaultMaxBytes);
    }
}
