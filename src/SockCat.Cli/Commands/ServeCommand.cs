using System.CommandLine;

namespace SockCat.Cli.Commands;

/// <summary><c>sockcat serve SERVICE URL...</c>: the services, each a subcommand over the same engine and flags.</summary>
internal static class ServeCommand
{
    public static Command Create()
    {
        var command = new Command("serve", """
            Serve a protocol on one or more endpoints, many clients at once, with the seed's log lines:
              sockcat serve echo tcp://0.0.0.0:4444
              sockcat serve echo tcp://127.0.0.1:4444 unix:///tmp/echo.sock
            """);
        command.Subcommands.Add(ServeEchoCommand.Create());
        command.Subcommands.Add(ServeBrokerCommand.Create());
        command.Subcommands.Add(ServeChatCommand.Create());
        command.Subcommands.Add(ServeExecCommand.Create());
        return command;
    }
}
