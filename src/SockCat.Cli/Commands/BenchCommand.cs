using System.CommandLine;
using System.Globalization;
using System.Net;
using SockCat.Bench;
using SockCat.Endpoints;
using Spectre.Console;

namespace SockCat.Cli.Commands;

/// <summary>`sockcat bench pingpong|stream|conns URL`: the load generator against an echo server.</summary>
internal static class BenchCommand
{
    public static Command Create()
    {
        var bench = new Command("bench", "Load generator: round trips, throughput, connections, broadcast and chat fan-out, every byte verified");
        VerbHelp.Add(bench, """
            Details:
              Run it against `sockcat serve echo` or any echo server (bench/run-echo.sh compares SockCat with its peers).
              tls:// (pingpong and stream) runs on SslStream and accepts any certificate: it is for loopback test servers.
            """);
        bench.Subcommands.Add(CreateMode("pingpong", BenchMode.PingPong,
            "Each connection sends a message and waits for its echo (--window in flight): msgs/s and p50/p99/p99.9 latency."));
        bench.Subcommands.Add(CreateMode("stream", BenchMode.Stream,
            "Each connection keeps --inflight bytes (64 KiB) in flight, the echo verified: MB/s."));
        bench.Subcommands.Add(CreateMode("conns", BenchMode.Conns,
            "Opens -c connections as fast as the server accepts them, checks each echoes a byte, holds them (--hold), checks again;"
            + " with --server-pid, the server's memory per connection."));
        bench.Subcommands.Add(CreateMode("broadcast", BenchMode.Broadcast,
            "For brokers (sockcat serve broker, ncat --broker): every connection sends its own --size-byte lines (64), one write each,"
            + " --window in flight, and each must reach every other connection, verified: deliveries/s and p50/p99/p99.9 latency."));
        bench.Subcommands.Add(CreateMode("chat", BenchMode.Chat,
            "For chat servers (sockcat serve chat, ncat --chat): -c users over --rooms rooms, each sending its own --size-byte lines"
            + " to its room, --window in flight, each verified to reach every other member: deliveries/s and p50/p99/p99.9 latency."));
        return bench;
    }

    private static Command CreateMode(string name, BenchMode mode, string description)
    {
        var command = new Command(name, description);
        var o = new BenchModeOptions(mode);
        o.AddTo(command);
        command.SetAction(async (ParseResult parseResult, CancellationToken ct) =>
        {
            var output = parseResult.InvocationConfiguration.Output;
            var error = parseResult.InvocationConfiguration.Error;
            if (!TryBuild(parseResult, o, mode, out var options, out var problem))
            {
                error.WriteLine($"sockcat: {problem}");
                return ExitCodes.Usage;
            }

            if (options!.Validate() is { } invalid)
            {
                error.WriteLine($"sockcat: {invalid}");
                return ExitCodes.Usage;
            }

            var fileLimit = LoadGenerator.RaiseFileLimit();
            if (fileLimit != 0 && (ulong)options.Connections + 32 > fileLimit)
            {
                error.WriteLine($"sockcat: {options.Connections} connections need more than the open-file limit of {fileLimit}; raise it (ulimit -n) or use fewer connections");
                return ExitCodes.Usage;
            }

            // Ctrl+C or SIGTERM ends the run early with what it measured so far, as wrk and iperf do; System.CommandLine
            // would return two seconds after the signal without it.
            parseResult.InvocationConfiguration.ProcessTerminationTimeout = null;
            using var signals = new StopSignals(steps: 1, ct);
            var progress = parseResult.GetValue(o.NoProgress) ? null : ProgressWriter(error, mode);
            BenchResult result;
            try
            {
                result = await LoadGenerator.RunAsync(options, progress, signals.Stop);
            }
            catch (System.Net.Sockets.SocketException e)
            {
                error.WriteLine($"sockcat: cannot resolve {options.Url.Host}: {e.Message}; use an IP address or a known host name");
                return ExitCodes.ConnectFailed;
            }
            catch (PlatformNotSupportedException e)
            {
                error.WriteLine($"sockcat: {e.Message}");
                return ExitCodes.Usage;
            }

            if (progress is not null && IsTerminal(error))
            {
                error.Write("\r\u001b[K");
            }

            var interrupted = signals.SignalExitCode;
            if (result.Connected == 0 && interrupted is null)
            {
                // A table of zeros would bury the one fact that matters.
                var first = result.Errors.First ?? "no connection was made";
                var hint = options.Proxy is not null ? "check the proxy, and the server behind it"
                    : first.Contains("TLS", StringComparison.Ordinal) ? "is it a TLS server?" : "is the server running?";
                error.WriteLine($"sockcat: could not connect to {options.Url}: {first}; {hint}");
                return ExitCodes.ConnectFailed;
            }

            if (parseResult.GetValue(o.Json))
            {
                using var buffer = new MemoryStream();
                result.WriteJson(buffer);
                output.WriteLine(System.Text.Encoding.UTF8.GetString(buffer.ToArray()));
            }
            else
            {
                WriteTable(output, result);
            }

            if (interrupted is { } code)
            {
                error.WriteLine(mode == BenchMode.Conns
                    ? FormattableString.Invariant($"sockcat: interrupted after {result.ClientWallSeconds:0.0} s; the figures above are what was checked until then")
                    : result.Seconds > 0
                        ? FormattableString.Invariant($"sockcat: interrupted after {result.Seconds:0.0} s of measuring; the figures above cover that time")
                        : "sockcat: interrupted before measuring began; nothing was measured");
                return code;
            }

            if (!result.Succeeded)
            {
                error.WriteLine($"sockcat: {Counted.Of(result.Errors.Total, "error")}, {result.Connected} of {Counted.Of(options.Connections, "connection")} up; first: {result.Errors.First ?? "connections missing"}");
                return ExitCodes.Failure;
            }

            return ExitCodes.Success;
        });
        return command;
    }

    private static bool TryBuild(ParseResult p, BenchModeOptions o, BenchMode mode, out BenchOptions? options, out string? problem)
    {
        options = null;
        if (!EndpointUrl.TryParse(p.GetValue(o.Url), out var url, out problem))
        {
            return false;
        }

        var also = new List<EndpointUrl>();
        if (p.CommandResult.Command.Options.Contains(o.Also))
        {
            foreach (var text in p.GetValue(o.Also) ?? [])
            {
                if (!EndpointUrl.TryParse(text, out var node, out var why))
                {
                    problem = $"--also: {why}";
                    return false;
                }

                also.Add(node!);
            }
        }

        var sources = new List<IPAddress>();
        if (p.GetValue(o.Source) is { } list)
        {
            foreach (var part in list.Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries))
            {
                if (!IPAddress.TryParse(part, out var address))
                {
                    problem = $"--source: '{part}' is not an IP address; use e.g. --source 127.0.0.1,127.0.0.2";
                    return false;
                }

                sources.Add(address);
            }
        }

        if (p.GetValue(o.Sources) is { } n)
        {
            if (n < 1 || n > 254)
            {
                problem = "--sources must be between 1 and 254 (127.0.0.1 .. 127.0.0.254)";
                return false;
            }

            for (var i = 1; i <= n; i++)
            {
                sources.Add(new IPAddress([127, 0, 0, (byte)i]));
            }
        }

        Client.Proxy.ProxyUrl? proxy = null;
        if (mode is BenchMode.PingPong or BenchMode.Stream)
        {
            try
            {
                proxy = o.Proxy.Read(p, url!)?.Url;
            }
            catch (CliException e)
            {
                problem = e.Message;
                return false;
            }
        }

        var count = p.GetValue(o.Count);
        var duration = p.GetValue(o.Duration) ?? (count is null ? 10 : null);
        options = new BenchOptions
        {
            Mode = mode,
            Url = url!,
            AlsoUrls = also,
            Connections = p.GetValue(o.Connections) ?? mode switch { BenchMode.Conns => 1000, BenchMode.Broadcast or BenchMode.Chat => 100, _ => 1 },
            MessageSize = o.Get(p, o.Size),
            DurationSeconds = duration,
            MessageCount = count,
            Window = o.Get(p, o.Window),
            InFlightBytes = o.Get(p, o.InFlight),
            WarmupSeconds = p.GetValue(o.Warmup) ?? (p.GetValue(o.Duration) is null && count is not null ? 0 : 1),
            Sources = sources,
            ConnectRate = o.Get(p, o.Rate),
            ConnectBurst = o.Get(p, o.Burst),
            ConnectTimeoutSeconds = p.GetValue(o.ConnectTimeout),
            HoldSeconds = o.Get(p, o.Hold),
            ServerPid = p.GetValue(o.ServerPid),
            Threads = o.Get(p, o.Threads),
            Rooms = o.Get(p, o.Rooms),
            LinesPerSecondPerUser = o.Get(p, o.LineRate),
            Proxy = proxy,
            ChatProtocol = p.CommandResult.Command.Options.Contains(o.ChatProtocol) ? p.GetValue(o.ChatProtocol) ?? "line" : "line",
            Io = p.GetValue(o.Io) switch
            {
                "epoll" => BenchIo.Epoll,
                "uring" => BenchIo.Uring,
                "async" => BenchIo.Async,
                "tls" => BenchIo.Tls,
                _ => null,
            },
        };
        return true;
    }

    private static bool IsTerminal(TextWriter writer) => ReferenceEquals(writer, Console.Error) && !Console.IsErrorRedirected;

    private static Action<BenchProgress> ProgressWriter(TextWriter error, BenchMode mode)
    {
        var terminal = IsTerminal(error);
        return p =>
        {
            var rate = mode switch
            {
                BenchMode.PingPong => $"{p.MessagesPerSecond,12:N0} msgs/s",
                BenchMode.Stream => $"{p.MegabytesPerSecond,10:N1} MB/s",
                _ => "",
            };
            var line = string.Create(CultureInfo.InvariantCulture,
                $"bench {p.Elapsed.TotalSeconds,5:0.0}s {p.Phase,-8} {p.Connected,6}/{p.Connections} conns {rate}  errors {p.Errors}");
            if (terminal)
            {
                error.Write($"\r{line}\u001b[K");
            }
            else
            {
                error.WriteLine(line);
            }
        };
    }

    private static void WriteTable(TextWriter output, BenchResult r)
    {
        var console = AnsiConsole.Create(new AnsiConsoleSettings
        {
            Ansi = ReferenceEquals(output, Console.Out) ? AnsiSupport.Detect : AnsiSupport.No,
            ColorSystem = ReferenceEquals(output, Console.Out) ? ColorSystemSupport.Detect : ColorSystemSupport.NoColors,
            Out = new AnsiConsoleOutput(output),
        });
        var o = r.Options;
        var table = new Table().Border(TableBorder.Rounded).AddColumn("").AddColumn(new TableColumn("").RightAligned());
        table.ShowHeaders = false;
        table.Title = new TableTitle($"sockcat bench {o.Mode.ToString().ToLowerInvariant()} {o.Url}{string.Concat(o.AlsoUrls.Select(u => $" --also {u}"))}");
        string F(FormattableString s) => s.ToString(CultureInfo.InvariantCulture);
        table.AddRow("connections", F($"{r.Connected:N0} of {o.Connections:N0} in {r.ConnectSeconds:0.000} s"));
        switch (o.Mode)
        {
            case BenchMode.PingPong:
                table.AddRow("message", F($"{o.MessageSize} bytes, window {o.Window}"));
                table.AddRow("measured", F($"{r.Seconds:0.00} s after {o.WarmupSeconds:0.#} s warm-up"));
                table.AddRow("messages", F($"{r.Messages:N0}"));
                table.AddRow("[bold]msgs/s[/]", F($"[bold]{r.MessagesPerSecond:N0}[/]"));
                table.AddRow("latency p50 / p99 / p99.9", F($"{r.Latency.Percentile(50) / 1000.0:0.0} / {r.Latency.Percentile(99) / 1000.0:0.0} / {r.Latency.Percentile(99.9) / 1000.0:0.0} µs"));
                table.AddRow("latency mean / max", F($"{r.Latency.Mean / 1000.0:0.0} / {r.Latency.Max / 1000.0:0.0} µs"));
                break;
            case BenchMode.Stream:
                table.AddRow("in flight", F($"{o.InFlightBytes:N0} bytes per connection"));
                table.AddRow("measured", F($"{r.Seconds:0.00} s after {o.WarmupSeconds:0.#} s warm-up"));
                table.AddRow("echoed", F($"{r.Bytes:N0} bytes, verified"));
                table.AddRow("[bold]MB/s[/]", F($"[bold]{r.MegabytesPerSecond:N1}[/]"));
                break;
            case BenchMode.Broadcast:
                table.AddRow("line", F($"{o.MessageSize} bytes, window {o.Window}, each to {o.Connections - 1:N0} others"));
                table.AddRow("measured", F($"{r.Seconds:0.00} s after {o.WarmupSeconds:0.#} s warm-up"));
                table.AddRow("deliveries", F($"{r.Messages:N0}, verified"));
                table.AddRow("[bold]deliveries/s[/]", F($"[bold]{r.MessagesPerSecond:N0}[/]"));
                table.AddRow("latency p50 / p99 / p99.9", F($"{r.Latency.Percentile(50) / 1000.0:0.0} / {r.Latency.Percentile(99) / 1000.0:0.0} / {r.Latency.Percentile(99.9) / 1000.0:0.0} µs"));
                break;
            case BenchMode.Chat:
                table.AddRow("rooms", F($"{o.Rooms:N0} of about {o.Connections / o.Rooms:N0} users ({o.ChatProtocol} protocol)"));
                table.AddRow("line", F($"{o.MessageSize} bytes, window {o.Window}, each to the {o.Connections / o.Rooms - 1:N0} others in its room"));
                if (o.LinesPerSecondPerUser > 0)
                {
                    table.AddRow("offered", F($"{o.LinesPerSecondPerUser:0.###} lines/s per user, {o.LinesPerSecondPerUser * o.Connections:N0} lines/s in all"));
                }

                table.AddRow("measured", F($"{r.Seconds:0.00} s after {o.WarmupSeconds:0.#} s warm-up"));
                table.AddRow("deliveries", F($"{r.Messages:N0}, verified"));
                table.AddRow("[bold]deliveries/s[/]", F($"[bold]{r.MessagesPerSecond:N0}[/]"));
                table.AddRow("latency p50 / p99 / p99.9", F($"{r.Latency.Percentile(50) / 1000.0:0.0} / {r.Latency.Percentile(99) / 1000.0:0.0} / {r.Latency.Percentile(99.9) / 1000.0:0.0} µs"));
                break;
            case BenchMode.Conns:
                table.AddRow("echoing (first check)", F($"{r.EchoOkFirst:N0}"));
                table.AddRow(F($"echoing (after {o.HoldSeconds:0.#} s hold)"), F($"{r.EchoOkLast:N0}"));
                if (r.ServerRssBeforeKb is { } before)
                {
                    table.AddRow("server memory before / after", F($"{before:N0} / {r.ServerRssAfterKb:N0} KB"));
                }

                if (r.ServerKbPerConnection is { } kb)
                {
                    table.AddRow("[bold]server KB per connection[/]", F($"[bold]{kb:0.00}[/]"));
                }

                break;
        }

        table.AddRow("errors", r.Errors.Total == 0
            ? "0"
            : Markup.Escape(F($"{r.Errors.Total} (connect {r.Errors.Connect}, closed {r.Errors.Closed}, verify {r.Errors.Verify}, timeout {r.Errors.Timeout}); first: {r.Errors.First}")));
        table.AddRow("io", r.Io switch
        {
            BenchIo.Uring => "io_uring",
            BenchIo.Async => "async (.NET sockets)",
            BenchIo.Tls => Markup.Escape($"tls (SslStream, {r.TlsProtocol ?? "no handshake"} {r.TlsCipher})".TrimEnd()),
            _ => "epoll",
        });
        table.AddRow("client cpu", F($"{r.ClientCpuSeconds:0.00} s of {r.ClientWallSeconds:0.00} s wall, {r.ClientGcCount} GCs"));
        console.Write(table);
    }
}
