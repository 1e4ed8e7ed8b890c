using System.CommandLine;

namespace SockCat.Cli.Tests;

/// <summary>Bad command lines: one line on stderr, exit code 2, never a stack trace or a help dump.</summary>
public sealed class UsageTests
{
    [Theory]
    [InlineData(new[] { "connect" }, "sockcat: Required argument missing for command: 'connect'; see 'sockcat connect --help'")]
    [InlineData(new[] { "connect", "--timeout", "0", "127.0.0.1:1" }, "sockcat: -w/--timeout: 0 is too small; give more than 0 seconds, e.g. -w 5\n")]
    [InlineData(new[] { "connect", "-w", "soon", "127.0.0.1:1" }, "sockcat: -w/--timeout: 'soon' is not a number of seconds; e.g. -w 5\n")]
    [InlineData(new[] { "serve", "echo", "--transport", "foo", "tcp://127.0.0.1:0" }, "sockcat: --transport: unknown value 'foo'; use auto, epoll, kestrel or kestrel-epoll\n")]
    [InlineData(new[] { "serve", "echo", "--log-format", "xml", "tcp://127.0.0.1:0" }, "sockcat: --log-format: unknown value 'xml'; use text or json\n")]
    [InlineData(new[] { "bench", "pingpong", "--io", "fast", "tcp://127.0.0.1:1" }, "sockcat: --io: unknown value 'fast'; use epoll, uring, async or tls\n")]
    [InlineData(new[] { "bench", "pingpong", "-d", "abc", "tcp://127.0.0.1:1" }, "sockcat: -d/--duration: 'abc' is not a number of seconds; e.g. -d 10\n")]
    [InlineData(new[] { "bench", "stream", "-c", "1.5", "tcp://127.0.0.1:1" }, "sockcat: -c/--connections: '1.5' is not a whole number of connections; e.g. -c 100\n")]
    [InlineData(new[] { "bench", "conns", "--threads", "100", "tcp://127.0.0.1:1" }, "sockcat: --threads: 100 is too large; give at most 64, e.g. --threads 2\n")]
    [InlineData(new[] { "serve", "echo", "--drain", "-1", "tcp://127.0.0.1:0" }, "sockcat: --drain: -1 is too small; give 0 seconds or more, e.g. --drain 5\n")]
    [InlineData(new[] { "serve", "echo", "--idle-timeout", "0", "tcp://127.0.0.1:0" }, "sockcat: --idle-timeout: 0 is too small; give more than 0 seconds, e.g. --idle-timeout 300\n")]
    [InlineData(new[] { "serve", "echo", "--max-conns", "0", "tcp://127.0.0.1:0" }, "sockcat: --max-conns: 0 is too small; give 1 client or more, e.g. --max-conns 1000\n")]
    [InlineData(new[] { "serve", "echo", "--bogus", "tcp://127.0.0.1:0" }, "sockcat: unknown option '--bogus'; see 'sockcat serve echo --help'\n")]
    [InlineData(new[] { "-l", "9000" }, "sockcat: sockcat has no -l; to listen as nc -l does, type: sockcat listen tcp://0.0.0.0:9000\n")]
    [InlineData(new[] { "-lk", "9000" }, "sockcat: sockcat has no -lk; to listen as nc -lk does, type: sockcat listen -k tcp://0.0.0.0:9000\n")]
    [InlineData(new[] { "-l", "-p", "9000" }, "sockcat: sockcat has no -l; to listen as nc -l does, type: sockcat listen tcp://0.0.0.0:9000\n")]
    [InlineData(new[] { "example.com", "80" }, "sockcat: 'example.com' is not a command; to connect as nc HOST PORT does, type: sockcat connect tcp://example.com:80\n")]
    [InlineData(new[] { "-v", "::1", "22" }, "sockcat: sockcat has no -v; to connect as nc HOST PORT does, type: sockcat connect tcp://[::1]:22\n")]
    [InlineData(new[] { "-z", "example.com", "80" }, "sockcat: sockcat has no -z; to probe ports as nc -z does, type: sockcat probe example.com 80\n")]
    [InlineData(new[] { "-zv", "-w", "1", "127.0.0.1", "20-25" }, "sockcat: sockcat has no -zv; to probe ports as nc -z does, type: sockcat probe -w 1 127.0.0.1 20-25\n")]
    [InlineData(new[] { "-x", "example.com", "80" }, "sockcat: Unrecognized command or argument '-x'; see 'sockcat --help'\n")]
    [InlineData(new[] { "connect", "--idle-timeout", "-1", "127.0.0.1:1" }, "sockcat: -i/--idle-timeout: -1 is too small; give more than 0 seconds, e.g. -i 5\n")]
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

    [Theory]
    [InlineData(300, "is 300 characters long, over the 253 a host name may have; check it, or use an IP address")]
    [InlineData(70, "has a 70-character part between dots, over the 63 DNS allows; check it, or use an IP address")]
    public async Task Connect_HostNameTooLong_OurOwnLine(int length, string expected)
    {
        var host = new string('a', length) + (length < 253 ? ".example.com" : "");

        var result = await CliRun.InvokeAsync("connect", $"tcp://{host}:80");

        Assert.Equal(ExitCodes.Usage, result.ExitCode);
        Assert.EndsWith(expected + "\n", result.Error);
        Assert.Single(result.Error.TrimEnd('\n').Split('\n'));
    }

    /// <summary>Every numeric option of every verb, present and future, with a value that is not a number.</summary>
    public static TheoryData<string[]> NumericOptions()
    {
        var data = new TheoryData<string[]>();
        void Walk(Command command, string[] path)
        {
            foreach (var option in command.Options)
            {
                var type = Nullable.GetUnderlyingType(option.ValueType) ?? option.ValueType;
                if (type == typeof(int) || type == typeof(long) || type == typeof(double))
                {
                    data.Add([.. path, option.Name]);
                }
            }

            foreach (var sub in command.Subcommands)
            {
                Walk(sub, [.. path, sub.Name]);
            }
        }

        Walk(SockCatCommand.Create(), []);
        return data;
    }

    [Theory]
    [MemberData(nameof(NumericOptions))]
    public async Task Invoke_NumericOptionNotANumber_OneLineNamingTheOption(string[] pathAndOption)
    {
        var result = await CliRun.InvokeAsync([.. pathAndOption, "abc", "tcp://127.0.0.1:1"]);

        Assert.Equal(ExitCodes.Usage, result.ExitCode);
        Assert.Single(result.Error.TrimEnd('\n').Split('\n'));
        // The option as its help names it: an alias may stand before or after its name (-d/--duration, -q/--quit-after).
        Assert.Matches($"^sockcat: (-./)?{pathAndOption[^1]}(/--[a-z-]+)?: 'abc' is not a (whole )?number[^;]*; e.g. -", result.Error);
        Assert.DoesNotContain("System.", result.Error);
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
