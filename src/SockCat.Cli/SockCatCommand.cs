using System.CommandLine;
using SockCat.Cli.Commands;

namespace SockCat.Cli;

/// <summary>The root of the command tree; tests invoke it in process with their own output writers.</summary>
internal static class SockCatCommand
{
    public static RootCommand Create()
    {
        var root = new RootCommand("""
            sockcat: a socket toolkit. Connect to, listen on, serve, relay and benchmark sockets named by URL:
              tcp://host:port  udp://host:port  unix:///path/to.sock  tls://host:port  (host:port alone is tcp)
            """);
        root.Subcommands.Add(ConnectCommand.Create());
        root.Subcommands.Add(ListenCommand.Create());
        root.Subcommands.Add(ServeCommand.Create());
        root.Subcommands.Add(BenchCommand.Create());
        return root;
    }

    public static async Task<int> InvokeAsync(string[] args, InvocationConfiguration? configuration = null)
    {
        configuration ??= new InvocationConfiguration();
        // User errors are reported as one line by each command; this is the last guard so a user never sees a stack trace.
        configuration.EnableDefaultExceptionHandler = false;
        try
        {
            var parseResult = Create().Parse(args);
            if (parseResult.Errors.Count > 0)
            {
                // One line, the Unix way, with the exit code scripts read for bad usage (System.CommandLine would print its help and return 1).
                var path = string.Join(' ', ["sockcat", .. CommandPath(parseResult.CommandResult)]);
                // An unknown word explains more than the missing command or argument it causes.
                var error = parseResult.Errors.FirstOrDefault(e => e.Message.StartsWith("unknown option", StringComparison.Ordinal))
                    ?? parseResult.Errors.FirstOrDefault(e => e.Message.StartsWith("Unrecognized", StringComparison.Ordinal))
                    ?? parseResult.Errors[0];
                (configuration.Error ?? Console.Error).WriteLine($"sockcat: {error.Message.TrimEnd('.')}; see '{path} --help'");
                return ExitCodes.Usage;
            }

            return await parseResult.InvokeAsync(configuration);
        }
        catch (Exception ex)
        {
            var (message, code) = UserErrorFormatter.Format(ex);
            (configuration.Error ?? Console.Error).WriteLine($"sockcat: {message}");
            return code;
        }
    }

    private static IEnumerable<string> CommandPath(System.CommandLine.Parsing.CommandResult? result)
    {
        var names = new Stack<string>();
        for (var r = result; r?.Parent is System.CommandLine.Parsing.CommandResult parent; r = parent)
        {
            names.Push(r.Command.Name);
        }

        return names;
    }
}
