using System.CommandLine;

namespace SockCat.Cli.Commands;

internal static class ServeCommand
{
    // Placeholder while the verb is being built: it is wired so parallel work does not touch SockCatCommand.
    public static Command Create() => new("serve", "(not yet available)");
}
