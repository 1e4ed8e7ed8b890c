using System.CommandLine;
using SockCat.Cli.Commands;

namespace SockCat.Cli;

/// <summary>The root of the command tree; tests invoke it in process with their own output writers.</summary>
internal static class SockCatCommand
{
    public static RootCommand Create()
    {
        var root = new RootCommand("""
            sockcat: a socket toolkit. Connect to, listen on, serve and benchmark sockets named by URL:
              tcp://host:port  udp://host:port  unix:///path/to.sock  tls://host:port  (host:port alone is tcp)
            """);
        VerbHelp.Add(root, """
            Examples:
              sockcat connect tcp://127.0.0.1:4444                 talk to a server, as nc does
              sockcat connect tcp://127.0.0.1:8080 --send "GET / HTTP/1.1\r\nHost: x\r\n\r\n"
              sockcat listen tcp://0.0.0.0:9000 > received.bin     receive one file, as nc -l does

            Run 'sockcat COMMAND --help' for a command's options and examples; exit codes are in docs/cli.md.
            """);
        root.Subcommands.Add(ConnectCommand.Create());
        root.Subcommands.Add(ListenCommand.Create());
        root.Subcommands.Add(ServeCommand.Create());
        root.Subcommands.Add(RelayCommand.Create());
        root.Subcommands.Add(BenchCommand.Create());
        root.Subcommands.Add(ProbeCommand.Create());
        root.Subcommands.Add(SendCommand.Create());
        root.Subcommands.Add(RecvCommand.Create());
        root.Subcommands.Add(CompletionCommand.Create());
        VerbHelp.Install(root);
        OptionValues.CheckAllNumbers(root);
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
            // --help with a missing argument still has parse errors; help wins, as it does in System.CommandLine.
            if (parseResult.Errors.Count > 0 && parseResult.Action is System.CommandLine.Invocation.ParseErrorAction)
            {
                // One line, the Unix way, with the exit code scripts read for bad usage (System.CommandLine would print its help and return 1).
                (configuration.Error ?? Console.Error).WriteLine($"sockcat: {UsageError(parseResult, args)}");
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

    /// <summary>The one line for a command line that did not parse: <c>what is wrong; what to do</c>.</summary>
    private static string UsageError(ParseResult parseResult, string[] args)
    {
        if (parseResult.CommandResult.Command is RootCommand && args.Length > 0 && NcHabits.Hint(args) is { } hint)
        {
            return hint;
        }

        // An unknown word explains more than the missing command or argument it causes.
        var error = parseResult.Errors.FirstOrDefault(e => e.Message.StartsWith("unknown option", StringComparison.Ordinal))
            ?? parseResult.Errors.FirstOrDefault(e => e.Message.StartsWith("Unrecognized", StringComparison.Ordinal) && e.Message.Contains("'-", StringComparison.Ordinal))
            ?? parseResult.Errors.FirstOrDefault(e => e.Message.StartsWith("Unrecognized", StringComparison.Ordinal))
            ?? parseResult.Errors[0];

        // A message from System.CommandLine itself may span lines; a terminal line and a log line want one.
        var message = string.Join(' ', error.Message.Split('\n', StringSplitOptions.TrimEntries | StringSplitOptions.RemoveEmptyEntries)).TrimEnd('.');
        if (message.Contains("; ", StringComparison.Ordinal))
        {
            // Our own messages already say what to do.
            return message;
        }

        var path = string.Join(' ', ["sockcat", .. CommandPath(parseResult.CommandResult)]);
        return $"{message}; see '{path} --help'";
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
