using System.CommandLine;
using System.CommandLine.Parsing;
using System.Net;
using SockCat.Endpoints;
using SockCat.Services.Exec;

namespace SockCat.Cli.Commands;

/// <summary><c>sockcat serve exec URL... -- PROGRAM ARGS...</c>: a program behind a socket, as ncat --exec and websocketd.</summary>
internal static class ServeExecCommand
{
    private const string Example = "sockcat serve exec tcp://127.0.0.1:5000 -- python3 job.py";

    public static Command Create()
    {
        var web = new Option<string[]>("--web")
        {
            HelpName = "URL",
            Description = "Also serve a page that shows the program live, its WebSocket (one text message per line, as websocketd) and /events (Server-Sent Events) at URL, e.g. http://127.0.0.1:8080/",
        };
        var options = new ServeOptions { WebSide = true, EndpointTexts = parseResult => [.. Split(parseResult).Urls, .. parseResult.GetValue(web) ?? []] };
        // The program's own words come after "--" and may start with '-': the URL argument takes them, and they are split off here.
        options.Endpoints.Validators.Clear();
        var killAfter = new Option<double>("--kill-after")
        {
            HelpName = "SECONDS",
            Description = "When a client leaves, its program may run on for SECONDS (its stdin closed); then it and everything it started get SIGTERM, and SIGKILL half a second later",
            DefaultValueFactory = _ => 1,
        }.Real(NumberRule.SecondsOrZero("1"));
        var maxProcs = new Option<int?>("--max-procs")
        {
            HelpName = "N",
            Description = "Programs running at once; one more client is told so in one line and closed, and nothing is started for it [default: no bound]",
        }.Whole(new NumberRule("programs", "10", Min: 1));
        var token = new Option<string?>("--token")
        {
            HelpName = "SECRET",
            Description = "Ask clients for SECRET before starting anything: their first line on tcp://, 'Authorization: Bearer SECRET' or ?token=SECRET on the web",
        };
        var tokenFile = new Option<string?>("--token-file")
        {
            HelpName = "FILE",
            Description = "As --token, the secret read from FILE's first line (kept out of the process list)",
        };
        var env = new Option<string[]>("--env")
        {
            HelpName = "NAME",
            Description = $"Pass the server's variable NAME to the program too (repeatable); it gets only {string.Join(", ", ExecOptions.DefaultEnvironment)} and the CGI ones (REMOTE_ADDR, SERVER_PORT, ...)",
        };
        var shell = new Option<bool>("--shell")
        {
            Description = "Run the words after -- as one /bin/sh -c command line (pipes, redirections); without it no shell is involved",
        };
        var stderrMode = new Option<string>("--stderr")
        {
            Description = "log: the program's stderr goes to the server's log, one line per line with the client's address; merge: to the client too",
            DefaultValueFactory = _ => "log",
        }.OneOf("log", "merge");
        var pty = new Option<bool>("--pty")
        {
            Description = "Run the program under a pseudo-terminal (prompts, line-buffered output, job control), as in a terminal; needs python3",
        };
        var ptySize = new Option<string>("--pty-size")
        {
            HelpName = "ROWSxCOLS",
            Description = "The terminal's size under --pty when the client gives none",
            DefaultValueFactory = _ => "24x80",
        };
        var direct = new Option<bool>("--direct")
        {
            Description = "Give each tcp:// or unix:// client's socket to its program as its stdout: no relay, the lowest latency; the client is half-closed when the program exits (not when it closes stdout), and that output is counted only at the close and not dumped. Not with --pty, --broadcast, --stderr merge or --idle-timeout",
        };
        var broadcast = new Option<bool>("--broadcast")
        {
            Description = "Run one program for all clients: each sees its output from the moment it connects, after the last --scrollback lines; a client that falls behind is told how many lines it missed",
        };
        var scrollback = new Option<int>("--scrollback")
        {
            HelpName = "LINES",
            Description = "Lines a late joiner gets under --broadcast",
            DefaultValueFactory = _ => 100,
        }.Whole(new NumberRule("lines", "100", Min: 0));
        var restart = new Option<bool>("--restart")
        {
            Description = "Under --broadcast, start the program again when it exits (after 1 s, doubling to 30 s while it keeps failing)",
        };
        var broadcastInput = new Option<bool>("--broadcast-input")
        {
            Description = "Under --broadcast, give what clients send to the program's stdin (by default it is dropped)",
        };

        var command = new Command("exec", $"""
            Run a program for each client: what the client sends is the program's stdin, its stdout goes to the client
            as it comes, as ncat --exec and websocketd. When the client leaves, the program and everything it started
            get SIGTERM after --kill-after, then SIGKILL; all are gone and reaped. Its exit code is logged.
            Examples:
              {Example}
              sockcat serve exec tcp://127.0.0.1:5000 --max-procs 10 --token-file secret.txt -- ./job.sh
              sockcat serve exec tcp://127.0.0.1:5000 --shell -- 'tail -f /var/log/syslog | grep error'
              sockcat serve exec tcp://127.0.0.1:5000 --pty -- bash -i
              sockcat serve exec tcp://127.0.0.1:5000 --direct -- python3 -u job.py    the client's socket is its stdout: no relay
              sockcat serve exec tcp://127.0.0.1:5000 --broadcast --scrollback 500 -- python3 -u long_job.py
              sockcat serve exec tcp://127.0.0.1:5000 --web http://127.0.0.1:8080/ --broadcast -- python3 -u long_job.py
              sockcat serve exec ws://127.0.0.1:8080/ -- ./count.sh            a page written for websocketd works unchanged
            The program gets only an allow-list of the server's variables, plus REMOTE_ADDR, REMOTE_PORT, SERVER_NAME,
            SERVER_PORT, SERVER_PROTOCOL as websocketd sets them. Binding other than loopback prints a warning.
            """);
        options.AddTo(command);
        command.Options.Add(killAfter);
        command.Options.Add(maxProcs);
        command.Options.Add(token);
        command.Options.Add(tokenFile);
        command.Options.Add(env);
        command.Options.Add(shell);
        command.Options.Add(stderrMode);
        command.Options.Add(pty);
        command.Options.Add(ptySize);
        command.Options.Add(direct);
        command.Options.Add(broadcast);
        command.Options.Add(scrollback);
        command.Options.Add(restart);
        command.Options.Add(broadcastInput);
        command.Options.Add(web);
        command.SetAction(async (parseResult, cancellationToken) =>
        {
            var error = parseResult.InvocationConfiguration.Error;
            int Fail(string message)
            {
                error.WriteLine($"sockcat: {message}");
                return ExitCodes.Usage;
            }

            var (urls, program) = Split(parseResult);
            if (urls.FirstOrDefault(u => u.StartsWith('-') && u.Length > 1) is { } unknown)
            {
                return Fail($"unknown option '{unknown}'; see sockcat serve exec --help");
            }

            if (program.Count == 0)
            {
                return Fail($"no program to run; give it after --, e.g. {Example}");
            }

            var useShell = parseResult.GetValue(shell);
            string path;
            if (useShell)
            {
                path = string.Join(' ', program);
                program = [];
            }
            else
            {
                if (ExecService.FindProgram(program[0]) is not { } found)
                {
                    return Fail($"program '{program[0]}' not found{(program[0].Contains('/') ? "" : " on PATH")}; give its path, or install it");
                }

                path = found;
                program.RemoveAt(0);
            }

            var secret = parseResult.GetValue(token);
            if (parseResult.GetValue(tokenFile) is { } file)
            {
                try
                {
                    secret = File.ReadLines(file).FirstOrDefault()?.Trim();
                }
                catch (Exception e) when (e is IOException or UnauthorizedAccessException)
                {
                    return Fail($"cannot read --token-file {file}: {e.Message}; give a readable file whose first line is the token");
                }

                if (string.IsNullOrEmpty(secret))
                {
                    return Fail($"--token-file {file} has no token on its first line; write the secret there");
                }
            }

            if (ParseSize(parseResult.GetValue(ptySize)!) is not var (rows, columns))
            {
                return Fail($"--pty-size '{parseResult.GetValue(ptySize)}' is not a size; write ROWSxCOLS, e.g. --pty-size 40x120");
            }

            var execOptions = new ExecOptions
            {
                Program = path,
                Arguments = program,
                UseShell = useShell,
                KillAfter = TimeSpan.FromSeconds(parseResult.GetValue(killAfter)),
                MaxProcesses = parseResult.GetValue(maxProcs),
                Token = secret,
                PassEnvironment = (parseResult.GetValue(env) ?? []).SelectMany(e => e.Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries)).ToList(),
                Stderr = parseResult.GetValue(stderrMode) == "merge" ? ExecStderr.Merge : ExecStderr.Log,
                Pty = parseResult.GetValue(pty),
                Direct = parseResult.GetValue(direct),
                PtyRows = rows,
                PtyColumns = columns,
                Broadcast = parseResult.GetValue(broadcast),
                Scrollback = parseResult.GetValue(scrollback),
                Restart = parseResult.GetValue(restart),
                BroadcastInput = parseResult.GetValue(broadcastInput),
                ViewerQueueBytes = Math.Min(64 * 1024, parseResult.GetValue(options.MaxQueue) ?? int.MaxValue),
            };
            if (!execOptions.Broadcast && (execOptions.Restart || execOptions.BroadcastInput))
            {
                return Fail($"{(execOptions.Restart ? "--restart" : "--broadcast-input")} is for --broadcast; add --broadcast to run one program for all clients");
            }

            if (execOptions.Direct && (execOptions.Pty || execOptions.Broadcast || execOptions.Stderr == ExecStderr.Merge || parseResult.GetValue(options.IdleTimeout) is not null))
            {
                var other = execOptions.Pty ? "--pty" : execOptions.Broadcast ? "--broadcast" : execOptions.Stderr == ExecStderr.Merge ? "--stderr merge" : "--idle-timeout";
                return Fail($"--direct hands the program the client's socket, which {other} needs the relay for; use one or the other");
            }

            foreach (var text in urls.Concat(parseResult.GetValue(web) ?? []))
            {
                if (EndpointUrl.TryParse(text, out var url, out _) && url!.Scheme != EndpointScheme.Unix && !IsLoopback(url.Host))
                {
                    error.WriteLine($"sockcat: warning: {url} is not a loopback address: anyone who can reach it can run {Path.GetFileName(path)}{(secret is null ? "; add --token or --allow, or bind 127.0.0.1" : "")}");
                }
            }

            ExecService? exec = null;
            try
            {
                return await options.RunAsync(
                parseResult,
                c => exec!.CreateProtocol(c),
                configure: serverOptions =>
                {
                    serverOptions.Web.MapRoutes = (routes, listener) => routes.MapExec(exec!, listener.Path);
                    // The program runs on this machine: a loop that waits for it to sleep before sending lets the kernel
                    // wake the client on the same CPU (ServerOptions.BatchScheduling; docs/benchmarks.md).
                    serverOptions.BatchScheduling = true;
                },
                cancellationToken,
                new ServeHooks
                {
                    Logging = loggerFactory =>
                    {
                        exec = new ExecService(execOptions, loggerFactory);
                        exec.Start();
                    },
                    Stopped = async () =>
                    {
                        if (exec is not null)
                        {
                            await exec.DisposeAsync();
                        }
                    },
                });
            }
            finally
            {
                // A server that failed to start has started a broadcast program already.
                if (exec is not null)
                {
                    await exec.DisposeAsync();
                }
            }
        });
        return command;
    }

    /// <summary>The URL words (before <c>--</c>) and the program's (after it).</summary>
    private static (List<string> Urls, List<string> Program) Split(ParseResult parseResult)
    {
        var tokens = parseResult.Tokens;
        var dash = -1;
        for (var i = 0; i < tokens.Count; i++)
        {
            if (tokens[i].Type == TokenType.DoubleDash)
            {
                dash = i;
                break;
            }
        }

        var after = dash < 0 ? [] : tokens.Skip(dash + 1).Select(t => t.Value).ToList();
        var all = parseResult.GetValue<string[]>("URL") ?? [];
        // The URL argument holds both: the words before "--" are its first ones.
        var urls = all.Take(all.Length - after.Count).ToList();
        return (urls, after);
    }

    private static (int, int)? ParseSize(string text)
    {
        var parts = text.Split('x');
        return parts.Length == 2 && int.TryParse(parts[0], out var rows) && int.TryParse(parts[1], out var columns) && rows is > 0 and < 10000 && columns is > 0 and < 10000
            ? (rows, columns)
            : null;
    }

    private static bool IsLoopback(string host) =>
        host is "localhost" || (IPAddress.TryParse(host.Trim('[', ']'), out var address) && IPAddress.IsLoopback(address));
}
