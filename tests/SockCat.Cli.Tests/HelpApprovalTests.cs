namespace SockCat.Cli.Tests;

/// <summary>The help text is part of the interface: a change to it shows here, in review, as a diff of the approved file.</summary>
public sealed class HelpApprovalTests
{
    [Theory]
    [InlineData("connect")]
    [InlineData("listen")]
    [InlineData("serve echo")]
    [InlineData("bench pingpong")]
    [InlineData("bench stream")]
    [InlineData("bench conns")]
    [InlineData("probe")]
    [InlineData("send")]
    [InlineData("recv")]
    public async Task Help_Verb_MatchesTheApprovedText(string verb)
    {
        var result = await CliRun.InvokeAsync([.. verb.Split(' '), "--help"]);
        var name = verb.Replace(' ', '-');
        var approved = Path.Combine(AppContext.BaseDirectory, "Approvals", $"{name}.help.approved.txt");
        var received = Path.Combine(AppContext.BaseDirectory, "Approvals", $"{name}.help.received.txt");

        if (!File.Exists(approved) || await File.ReadAllTextAsync(approved) != result.Output)
        {
            // Left beside the approved file for a diff; copy it over Approvals/ in the source tree to approve a change.
            await File.WriteAllTextAsync(received, result.Output);
        }

        Assert.Equal(0, result.ExitCode);
        Assert.Equal(await File.ReadAllTextAsync(approved), result.Output);
    }
}
