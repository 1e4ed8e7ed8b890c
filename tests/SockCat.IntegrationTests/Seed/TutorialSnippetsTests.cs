using System.Text.RegularExpressions;

namespace SockCat.IntegrationTests.Seed;

/// <summary>
/// docs/tutorial.md quotes the examples: each block after <c>&lt;!-- snippet: PATH#REGION --&gt;</c> must be that
/// <c>#region</c> of that file, character for character, so the tutorial never shows code that is not compiled and tested.
/// </summary>
public sealed partial class TutorialSnippetsTests
{
    [GeneratedRegex(@"<!-- snippet: (?<path>\S+?)#(?<region>\S+) -->\n```csharp\n(?<code>.*?)```", RegexOptions.Singleline)]
    private static partial Regex Snippet();

    [Fact]
    public void Tutorial_EverySnippet_MatchesItsRegionInTheExamples()
    {
        var root = SeedPaths.RepositoryRoot;
        var tutorial = File.ReadAllText(Path.Combine(root, "docs", "tutorial.md")).ReplaceLineEndings("\n");
        var snippets = Snippet().Matches(tutorial);

        // Every marker has its block, and the four programs are all quoted.
        Assert.Equal(Regex.Matches(tutorial, "<!-- snippet: ").Count, snippets.Count);
        Assert.Equal(4, snippets.Select(m => m.Groups["path"].Value).Distinct().Count());

        foreach (Match snippet in snippets)
        {
            var path = snippet.Groups["path"].Value;
            var name = snippet.Groups["region"].Value;
            var source = File.ReadAllText(Path.Combine(root, path)).ReplaceLineEndings("\n");
            var region = Regex.Match(source, $@"^#region {Regex.Escape(name)}\n(.*?)^#endregion", RegexOptions.Singleline | RegexOptions.Multiline);

            Assert.True(region.Success, $"{path} has no #region {name}");
            Assert.True(region.Groups[1].Value == snippet.Groups["code"].Value,
                $"docs/tutorial.md quotes an old {path}#{name}: copy the region into the block.");
        }
    }
}
