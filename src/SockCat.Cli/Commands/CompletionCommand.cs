using System.CommandLine;

namespace SockCat.Cli.Commands;

/// <summary>
/// <c>sockcat completion bash|zsh|fish</c>: prints a script that hands each completion to sockcat itself, through
/// System.CommandLine's <c>[suggest:POSITION]</c> directive. The words come from the command tree as it is when the
/// user presses Tab (verbs, options, an option's allowed values), so the script is a few lines that never need
/// updating, and no word list is kept by hand. The directive needs no dotnet-suggest: the script calls sockcat directly.
/// </summary>
internal static class CompletionCommand
{
    public static Command Create()
    {
        var shell = CommonOptions.NoOptions(new Argument<string>("SHELL") { Description = "bash, zsh or fish" });
        shell.AcceptOnlyFromAmong("bash", "zsh", "fish");
        var command = new Command("completion", "Print a shell completion script for bash, zsh or fish");
        VerbHelp.Add(command, """
            Install:
              bash:  echo 'source <(sockcat completion bash)' >> ~/.bashrc
              zsh:   echo 'source <(sockcat completion zsh)' >> ~/.zshrc      (after compinit)
              fish:  sockcat completion fish > ~/.config/fish/completions/sockcat.fish

            The script asks sockcat itself for the words ([suggest] directive of System.CommandLine), so it completes
            every verb, option and option value of the sockcat it runs, and never goes stale.
            """);
        command.Arguments.Add(shell);
        command.SetAction(parseResult =>
        {
            var output = parseResult.InvocationConfiguration.Output;
            output.Write(parseResult.GetValue(shell) switch
            {
                "zsh" => Zsh,
                "fish" => Fish,
                _ => Bash,
            });
            output.Flush();
            return ExitCodes.Success;
        });
        return command;
    }

    // COMP_LINE up to COMP_POINT is what System.CommandLine parses; compgen keeps the words that start with the one typed.
    // -o default: where sockcat offers nothing (a FILE, a URL), bash completes file names as usual.
    private const string Bash = """
        # sockcat completion for bash: each word comes from sockcat's own command tree ([suggest] directive).
        # Install: echo 'source <(sockcat completion bash)' >> ~/.bashrc
        _sockcat_complete()
        {
            local cur="${COMP_WORDS[COMP_CWORD]}" IFS=$'\n'
            local candidates
            candidates=$("${COMP_WORDS[0]}" "[suggest:${COMP_POINT}]" "${COMP_LINE}" 2>/dev/null)
            COMPREPLY=($(compgen -W "${candidates}" -- "${cur}"))
        }
        complete -o default -F _sockcat_complete sockcat

        """;

    private const string Zsh = """
        #compdef sockcat
        # sockcat completion for zsh: each word comes from sockcat's own command tree ([suggest] directive).
        # Install: echo 'source <(sockcat completion zsh)' >> ~/.zshrc   (after compinit)
        _sockcat() {
          local line="${(j: :)words[1,CURRENT]}"
          local -a candidates
          candidates=(${(f)"$("${words[1]}" "[suggest:${#line}]" "$line" 2>/dev/null)"})
          if (( ${#candidates} )); then
            compadd -a candidates
          else
            _files
          fi
        }
        compdef _sockcat sockcat

        """;

    private const string Fish = """
        # sockcat completion for fish: each word comes from sockcat's own command tree ([suggest] directive).
        # Install: sockcat completion fish > ~/.config/fish/completions/sockcat.fish
        function __sockcat_complete
            set -l line (commandline -cp)
            sockcat "[suggest:"(string length -- "$line")"]" "$line" 2>/dev/null
        end
        complete -c sockcat -f -a '(__sockcat_complete)'

        """;
}
