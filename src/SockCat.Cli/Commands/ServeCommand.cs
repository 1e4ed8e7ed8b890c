using System.CommandLine;

namespace SockCat.Cli.Commands;

/// <summary><c>sockcat serve SERVICE URL...</c>: the services, each a subcommand over the same engine and flags.</summary>
internal static class ServeCommand
{
    public static Command Create()
    {
        var command = new Command("serve", "Serve echo, broker, chat or exec on one or more endpoints, many clients at once, with the seed's log lines");
        VerbHelp.Add(command, """
            Examples:
              sockcat serve echo tcp://0.0.0.0:4444
              sockcat serve echo tcp://127.0.0.1:4444 unix:///tmp/echo.sock
              sockcat serve chat tcp://0.0.0.0:6667 --web http://127.0.0.1:8080
              sockcat serve exec tcp://127.0.0.1:5000 -- python3 -u job.py
            """);
        command.Subcommands.Add(ServeEchoCommand.Create());
        command.Subcommands.Add(ServeBrokerCommand.Create());
        command.Subcommands.Add(ServeChatCommand.Create());
        command.Subcommands.Add(ServeExecCommand.Create());
        return command;
    }
}
