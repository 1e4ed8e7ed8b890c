using System.CommandLine;
using System.Globalization;
using SockCat.Streams;

namespace SockCat.Cli.Commands;

/// <summary>The nc habits `connect` and `listen` share, each an option of the library's <see cref="StreamBridge"/>.</summary>
internal sealed class BridgeOptions
{
    public Option<bool> Verbose { get; } = new("--verbose", "-v")
    {
        Description = "Say on stderr where sockcat connected or who connected, and at the end the bytes sent and received",
    };

    public Option<bool> SendOnly { get; } = new("--send-only")
    {
        Description = "Only send: discard what the peer sends, and end once stdin is sent",
    };

    public Option<bool> RecvOnly { get; } = new("--recv-only")
    {
        Description = "Only receive: do not read stdin (nor half-close), and end when the peer closes",
    };

    public Option<double?> QuitAfter { get; } = new Option<double?>("-q", "--quit-after")
    {
        Description = "After stdin ends, wait at most this many seconds for the peer to close, then quit (0: at once), as nc -q",
        HelpName = "seconds",
    }.Real(NumberRule.SecondsOrZero("2.5"));

    public Option<bool> NoShutdown { get; } = new("--no-shutdown")
    {
        Description = "Do not half-close the connection when stdin ends (for peers that take a half-close for a hang-up), as ncat --no-shutdown",
    };

    public TrafficDumpOptions Dump { get; } = new();

    public void AddTo(Command command)
    {
        command.Options.Add(Verbose);
        command.Options.Add(SendOnly);
        command.Options.Add(RecvOnly);
        command.Options.Add(QuitAfter);
        command.Options.Add(NoShutdown);
        Dump.AddTo(command);
    }

    public StreamBridgeOptions Read(ParseResult parseResult, TimeSpan? idleTimeout)
    {
        var sendOnly = parseResult.GetValue(SendOnly);
        var recvOnly = parseResult.GetValue(RecvOnly);
        if (sendOnly && recvOnly)
        {
            throw new CliException("--send-only and --recv-only exclude each other; give one of them", ExitCodes.Usage);
        }

        return new StreamBridgeOptions
        {
            IdleTimeout = idleTimeout,
            QuitAfterInputEnd = parseResult.GetValue(QuitAfter) is { } q ? TimeSpan.FromSeconds(q) : null,
            HalfClose = !parseResult.GetValue(NoShutdown),
            Send = !recvOnly,
            Receive = !sendOnly,
            Traffic = Dump.Open(parseResult, CommonOptions.ErrorWriter(parseResult)),
        };
    }
}
