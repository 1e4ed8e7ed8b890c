namespace SockCat.Cli.Tests;

/// <summary>Bad command lines: one line on stderr, exit code 2, never a stack trace or a help dump.</summary>
public sealed class UsageTests
{
    [Theory]
    [InlineData(new[] { "connect" }, "sockcat: Required argument missing for command: 'connect'; see 'sockcat connect --help'")]
    [InlineData(new[] { "connect", "--timeout", "0", "127.0.0.1:1" }, "sockcat: --timeout takes a number of seconds over 0, not '0'; e.g. --timeout 5 or --timeout 0.5; see 'sockcat connect --help'")]
    [InlineData(new[] { "connect", "-w", "soon", "127.0.0.1:1" }, "sockcat: --timeout takes a number of seconds over 0, not 'soon'")]
    [InlineData(new[] { "connect", "--idle-timeout", "-1", "127.0.0.1:1" }, "see 'sockcat connect --help'")]
    [InlineData(new[] { "connect", "--bogus", "127.0.0.1:1" }, "sockcat: unknown option '--bogus'; see 'sockcat connect --help'")]
    [InlineData(new[] { "connect", "tcp://127.0.0.1" }, "sockcat: no port in 'tcp://127.0.0.1'; add one, e.g. tcp://127.0.0.1:4444")]
    [InlineData(new[] { "connect", "tcp://127.0.0.1:0" }, "sockcat: port 0 in tcp://127.0.0.1:0 only means something when listening; give the server's port, e.g. tcp://127.0.0.1:4444")]
    [InlineData(new[] { "connect", "127.0.0.1:1", "--send", "\\q" }, "sockcat: --send: unknown escape '\\q'; use \\r \\n \\t \\0 \\\\ or \\xHH")]
    [InlineData(new[] { "connect", "tls://127.0.0.1:1", "--fingerprint", "abc" }, "sockcat: --fingerprint 'abc' is not a SHA-256 fingerprint")]
    [InlineData(new[] { "connect", "tcp://127.0.0.1:1", "--insecure" }, "sockcat: --insecure and --fingerprint are for tls:// endpoints, and tcp://127.0.0.1:1 is not one; use tls://127.0.0.1:1")]
    [InlineData(new[] { "listen", "http://127.0.0.1:0/" }, "sockcat: listen takes tcp://, tls://, udp:// and unix:// endpoints")]
    [InlineData(new[] { "listen", "unix://relative.sock" }, "sockcat: the unix socket path 'relative.sock' is not absolute")]
    [InlineData(new[] { "connect", "127.0.0.1:1", "--bogus" }, "sockcat: unknown option '--bogus'; see 'sockcat connect --help'")]
    [InlineData(new[] { "frobnicate" }, "sockcat: Unrecognized command or argument 'frobnicate'; see 'sockcat --help'")]
    public async Task Invoke_BadCommandLine_OneLineAndExitCodeUsage(string[] args, string expected)
    {
        var result = await CliRun.InvokeAsync(args);

        Assert.Equal(ExitCodes.Usage, result.ExitCode);
        Assert.Contains(expected, result.Error);
        Assert.Single(result.Error.TrimEnd('\n').Split('\n'));
        Assert.StartsWith("sockcat: ", result.Error);
        Assert.Empty(result.Stdout);
    }

    [Fact]
    public async Task Help_Root_ListsTheVerbsAndHowEndpointsAreWritten()
    {
        var result = await CliRun.InvokeAsync("--help");

        Assert.Equal(0, result.ExitCode);
        Assert.Contains("connect", result.Output);
        Assert.Contains("listen", result.Output);
        Assert.Contains("unix:///path/to.sock", result.Output);
        Assert.Contains("Usage:\n  sockcat [command] [options]", result.Output);
        Assert.Contains("Examples:\n  sockcat connect tcp://127.0.0.1:4444", result.Output);
    }

    [Theory]
    [InlineData("connect", new[] { "Examples:", "--send <text>", "-C, --crlf", "-w, --timeout <seconds>", "-i, --idle-timeout <seconds>", "--insecure", "--fingerprint <sha256>", "Exit status:" })]
    [InlineData("listen", new[] { "Examples:", "-k, --keep-open", "-C, --crlf", "-i, --idle-timeout <seconds>", "Exit status:" })]
    public async Task Help_Verb_HasUsageOptionsAndExamples(string verb, string[] expected)
    {
        var result = await CliRun.InvokeAsync(verb, "--help");

        Assert.Equal(0, result.ExitCode);
        Assert.Contains($"sockcat {verb} <url> [<port>] [options]", result.Output);
        foreach (var text in expected)
        {
            Assert.Contains(text, result.Output);
        }
    }
}
