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
            return await Create().Parse(args).InvokeAsync(configuration);
        }
        catch (Exception ex)
        {
            var (message, code) = UserErrorFormatter.Format(ex);
            (configuration.Error ?? Console.Error).WriteLine($"sockcat: {message}");
            return code;
        }
    }
}
