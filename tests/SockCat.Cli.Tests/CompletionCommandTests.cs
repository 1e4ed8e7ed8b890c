using System.Diagnostics;

namespace SockCat.Cli.Tests;

/// <summary>
/// `sockcat completion bash` as bash runs it: the script is sourced, then its completion function is called with COMP_WORDS,
/// COMP_LINE and COMP_POINT as bash sets them for Tab, and asks the real sockcat (a `sockcat` on PATH) for the words.
/// </summary>
[System.Runtime.Versioning.UnsupportedOSPlatform("windows")]
public sealed class CompletionCommandTests
{
    [Fact]
    public async Task Bash_GeneratedScript_CompletesVerbsOptionsAndOptionValues()
    {
        var bin = Directory.CreateTempSubdirectory("sockcat-completion-");
        try
        {
            var sockcat = Path.Combine(bin.FullName, "sockcat");
            await File.WriteAllTextAsync(sockcat, $"#!/bin/sh\nexec dotnet '{SockcatProcess.Dll}' \"$@\"\n");
            File.SetUnixFileMode(sockcat, UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.UserExecute);
            const string script = """
                source <(sockcat completion bash) || exit 3
                f=$(complete -p sockcat | sed -E 's/.* -F ([^ ]+) .*/\1/')
                comp() {
                  COMP_LINE="$1"; COMP_POINT=${#COMP_LINE}
                  read -ra COMP_WORDS <<< "$1"; [[ "$1" == *" " ]] && COMP_WORDS+=("")
                  COMP_CWORD=$((${#COMP_WORDS[@]} - 1)); COMPREPLY=()
                  "$f"
                  echo "$1=>${COMPREPLY[*]}"
                }
                comp "sockcat se"
                comp "sockcat relay --hex"
                comp "sockcat serve echo --transport k"
                """;
            var info = new ProcessStartInfo("bash", ["-c", script]) { RedirectStandardOutput = true, RedirectStandardError = true };
            info.Environment["PATH"] = $"{bin.FullName}:{Environment.GetEnvironmentVariable("PATH")}";
            info.Environment["DOTNET_NOLOGO"] = "1";
            using var bash = Process.Start(info)!;
            var output = bash.StandardOutput.ReadToEndAsync();
            var error = bash.StandardError.ReadToEndAsync();
            await bash.WaitForExitAsync().WaitAsync(CliRun.TestTimeout * 2);

            Assert.True(bash.ExitCode == 0, await error);
            Assert.Equal(
                ["sockcat se=>send serve", "sockcat relay --hex=>--hexdump", "sockcat serve echo --transport k=>kestrel kestrel-epoll"],
                (await output).Split('\n', StringSplitOptions.RemoveEmptyEntries));
        }
        finally
        {
            bin.Delete(recursive: true);
        }
    }

    [Theory]
    [InlineData("bash", "complete -o default -F _sockcat_complete sockcat")]
    [InlineData("zsh", "compdef _sockcat sockcat")]
    [InlineData("fish", "complete -c sockcat -f -a '(__sockcat_complete)'")]
    public async Task Completion_Shell_PrintsItsScript_WhichAsksSockcatThroughTheSuggestDirective(string shell, string registers)
    {
        var result = await CliRun.InvokeAsync("completion", shell);

        Assert.Equal(ExitCodes.Success, result.ExitCode);
        Assert.Contains(registers, result.Output);
        Assert.Contains("[suggest:", result.Output);
    }

    [Fact]
    public async Task Completion_UnknownShell_OneLineUsageError()
    {
        var result = await CliRun.InvokeAsync("completion", "tcsh");

        Assert.Equal(ExitCodes.Usage, result.ExitCode);
        Assert.StartsWith("sockcat: ", result.Error);
        Assert.Single(result.Error.TrimEnd('\n').Split('\n'));
    }
}
