using System.CommandLine;

namespace SockCat.Cli.Commands;

internal static class ListenCommand
{
    // Placeholder while the verb is being built: it is wired so parallel work does not touch SockCatCommand.
    public static Command Create() => new("listen", "(not yet available)");
}
