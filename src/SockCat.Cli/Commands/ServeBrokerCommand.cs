using System.CommandLine;
using SockCat.Services.Broker;

namespace SockCat.Cli.Commands;

/// <summary><c>sockcat serve broker URL...</c>: as <c>ncat --broker</c>, every line a client sends goes to every other client.</summary>
internal static class ServeBrokerCommand
{
    public static Command Create()
    {
        var options = new ServeOptions();
        var maxLine = new Option<int>("--max-line")
        {
            HelpName = "BYTES",
            Description = "The longest line relayed; a longer one is dropped and its sender told in one line",
            DefaultValueFactory = _ => Framing.LineFramer.DefaultMaxLineLength,
        };
        var command = new Command("broker", """
            Relay every line a client sends to every other client (not back to the sender), as ncat --broker;
            log each client as the seed's server did. A client that stops reading is cut (--max-queue), the others go on.
            Examples:
              sockcat serve broker tcp://0.0.0.0:4444
              sockcat serve broker tcp://127.0.0.1:4444 unix:///tmp/broker.sock --max-line 4096
            Stop with Ctrl+C: it stops accepting, lets clients finish for --drain seconds, and prints a summary.
            """);
        options.AddTo(command);
        command.Options.Add(maxLine);
        command.SetAction((parseResult, cancellationToken) =>
        {
            var max = parseResult.GetValue(maxLine);
            if (max < 1)
            {
                parseResult.InvocationConfiguration.Error.WriteLine($"sockcat: --max-line {max} is not a line length; give 1 byte or more (default {Framing.LineFramer.DefaultMaxLineLength})");
                return Task.FromResult(ExitCodes.Usage);
            }

            var hub = new BrokerHub(new BrokerOptions { MaxLineLength = max });
            return options.RunAsync(parseResult, hub.CreateProtocol, serverOptions =>
            {
                // What the framer leaves is at most one line: keep the input bound above it.
                serverOptions.MaxInputBufferBytes = Math.Max(serverOptions.MaxInputBufferBytes, max + 2);
            }, cancellationToken);
        });
        return command;
    }
}
