using System.CommandLine;
using System.CommandLine.Help;
using System.CommandLine.Invocation;
using System.Runtime.CompilerServices;

namespace SockCat.Cli;

/// <summary>
/// Lets a verb keep a one-line description (what `sockcat --help` lists) and add details, examples and exit
/// codes after its own `--help` options table, as man pages put EXAMPLES after OPTIONS.
/// </summary>
internal static class VerbHelp
{
    private static readonly ConditionalWeakTable<Command, string> Details = new();

    public static void Add(Command command, string details) => Details.AddOrUpdate(command, details);

    /// <summary>Wraps the root's help option (recursive, so every verb's -h goes through it) to print the details too.</summary>
    public static void Install(RootCommand root)
    {
        foreach (var help in root.Options.OfType<HelpOption>())
        {
            if (help.Action is HelpAction standard)
            {
                help.Action = new WithDetails(standard);
            }
        }
    }

    private sealed class WithDetails(HelpAction standard) : SynchronousCommandLineAction
    {
        public override int Invoke(ParseResult parseResult)
        {
            var configuration = parseResult.InvocationConfiguration;
            var output = configuration.Output;
            var text = new StringWriter();
            configuration.Output = text;
            int code;
            try
            {
                code = standard.Invoke(parseResult);
            }
            finally
            {
                configuration.Output = output;
            }

            // The usage line names the root after the entry assembly (SockCat.Cli, or testhost under tests); the command is sockcat.
            output.Write(text.ToString().Replace($"\n  {RootCommand.ExecutableName} ", "\n  sockcat ", StringComparison.Ordinal));
            if (Details.TryGetValue(parseResult.CommandResult.Command, out var details))
            {
                output.WriteLine(details.TrimEnd());
                output.WriteLine();
            }

            return code;
        }
    }
}
