using System.Globalization;
using System.Text;
using System.Text.Json.Nodes;
using ScottPlot;

// Reads one bench/run-echo.sh run (results.jsonl + machine.json) and writes docs/benchmarks.md and its chart.
//   dotnet BenchReport.dll bench/results/RUN docs/benchmarks.md docs/benchmarks.png
if (args.Length != 3)
{
    Console.Error.WriteLine("usage: BenchReport RESULTS_DIR OUTPUT.md OUTPUT.png");
    return 2;
}

CultureInfo.DefaultThreadCurrentCulture = CultureInfo.InvariantCulture;
CultureInfo.CurrentCulture = CultureInfo.InvariantCulture;
var dir = args[0];
var machine = JsonNode.Parse(File.ReadAllText(Path.Combine(dir, "machine.json")))!.AsObject();
var rows = File.ReadAllLines(Path.Combine(dir, "results.jsonl"))
    .Where(l => l.Length > 0)
    .Select(l => Row.From(JsonNode.Parse(l)!.AsObject()))
    .ToList();
var report = new Report(machine, rows, dir, Path.GetFileName(args[2]));
// Sections other scripts write (bench/run-ws.sh's, between its markers) follow this line and are kept as they are.
const string OtherSections = "<!-- Sections below are written by other bench scripts; BenchReport keeps them. -->";
var kept = File.Exists(args[1]) && File.ReadAllText(args[1]) is var old && old.IndexOf(OtherSections, StringComparison.Ordinal) is var at and >= 0
    ? "\n" + old[at..]
    : "";
File.WriteAllText(args[1], report.Markdown() + kept);
report.Chart(args[2]);
return 0;

internal sealed record Row(int Rep, string Server, string Test, int Exit, string ServerCommand, string Command, JsonObject? Result)
{
    public static Row From(JsonObject o) => new(
        (int)o["rep"]!, (string)o["server"]!, (string)o["test"]!, (int)o["exit"]!,
        (string?)o["serverCommand"] ?? "", (string?)o["command"] ?? "", o["result"] as JsonObject);

    public double? Get(params string[] path)
    {
        JsonNode? n = Result;
        foreach (var p in path)
        {
            n = n?[p];
        }

        return n is JsonValue v && v.TryGetValue<double>(out var d) ? d : null;
    }
}

internal sealed class Report(JsonObject machine, List<Row> rows, string dir, string chartFile)
{
    private static readonly string[] Order = ["c", "sockcat", "sockcat-kestrel-epoll", "sockcat-kestrel", "dotnet-plain", "node", "php", "socat", "ncat"];

    private static readonly Dictionary<string, string> Names = new()
    {
        ["c"] = "C epoll loop (reference)",
        ["sockcat"] = "SockCat",
        ["sockcat-kestrel-epoll"] = "SockCat, --transport kestrel-epoll (Kestrel's pipes on our loop)",
        ["sockcat-kestrel"] = "SockCat, --transport kestrel",
        ["dotnet-plain"] = "plain .NET sockets",
        ["node"] = "node net",
        ["php"] = "seed PHP stream_select",
        ["socat"] = "socat (fork)",
        ["ncat"] = "ncat --exec cat",
    };

    private IEnumerable<string> Servers => Order.Where(s => rows.Any(r => r.Server == s))
        .Concat(rows.Select(r => r.Server).Distinct().Where(s => !Order.Contains(s)));

    private static double? Median(IEnumerable<double?> values)
    {
        var v = values.Where(x => x is not null).Select(x => x!.Value).Order().ToArray();
        if (v.Length == 0)
        {
            return null;
        }

        return v.Length % 2 == 1 ? v[v.Length / 2] : (v[(v.Length / 2) - 1] + v[v.Length / 2]) / 2;
    }

    private IEnumerable<Row> Runs(string server, string test) => rows.Where(r => r.Server == server && r.Test == test);

    private double? MedianOf(string server, string test, params string[] path) => Median(Runs(server, test).Select(r => r.Get(path)));

    // The ratio to C within each repetition (same minute, same load), then the median of those ratios.
    private double? RatioToC(string server, string test, params string[] path) => Median(
        Runs(server, test).Select(double? (r) =>
        {
            var mine = r.Get(path);
            var c = rows.FirstOrDefault(x => x.Server == "c" && x.Test == test && x.Rep == r.Rep)?.Get(path);
            return mine is { } m && c is { } cv && cv > 0 && r.Result?["errors"]?["total"]?.GetValue<long>() is 0 or null ? m / cv : null;
        }));

    private int Failed(string server, string test) => Runs(server, test).Count(r => r.Exit != 0);

    private int Reps(string server, string test) => Runs(server, test).Count();

    private static string N(double? v, string format = "N0") => v is { } d ? d.ToString(format, CultureInfo.InvariantCulture) : "–";

    private string Cell(string server, string test, string[] path, string format)
    {
        if (!Runs(server, test).Any())
        {
            return "–";
        }

        var value = N(MedianOf(server, test, path), format);
        var ratio = RatioToC(server, test, path);
        var text = server == "c" || ratio is null ? value : $"{value} ({ratio:0.00}x)";
        var failed = Failed(server, test);
        return failed > 0 ? $"{text} ⚠{failed}/{Reps(server, test)}" : text;
    }

    public string Markdown()
    {
        var sb = new StringBuilder();
        var m = (string key) => (string?)machine[key] ?? "";
        var quick = (bool?)machine["quick"] == true;
        var reps = (int?)machine["reps"] ?? 0;
        var tests = rows.Select(r => r.Test).Distinct().ToHashSet();
        var big = tests.Where(t => t.StartsWith("conns-", StringComparison.Ordinal)).OrderBy(t => int.Parse(t[6..])).ToList();

        sb.AppendLine("# Benchmarks: SockCat's echo server beside its peers");
        sb.AppendLine();
        sb.AppendLine($"Generated by `bench/run-echo.sh` (raw JSON: `{dir}/`) with `bench/BenchReport`; do not edit by hand, rerun the script.");
        sb.AppendLine();
        sb.AppendLine("> **Provisional.** " + (quick ? "A `--quick` run (one repetition, short durations): a smoke test of the script, not figures to quote. " : "")
            + $"Measured on a shared 2-core machine while other engineers were building and testing; the load generator and the server share the two cores. "
            + "Absolute figures swing by tens of percent from minute to minute here; the ratios to the C loop, taken within one repetition, are steadier. "
            + "The figures to quote come from a rerun of the script on a quiet machine.");
        sb.AppendLine();
        var skipped = machine["skipped"]?.AsArray().Select(x => (string?)x).Where(x => x is not null).ToList() ?? [];
        foreach (var s in skipped)
        {
            sb.AppendLine($"> Not measured in this run: {s}.");
        }

        if (skipped.Count > 0)
        {
            sb.AppendLine();
        }

        sb.AppendLine("## Machine");
        sb.AppendLine();
        sb.AppendLine("| | |");
        sb.AppendLine("|---|---|");
        sb.AppendLine($"| CPU | {m("nproc")} × {m("cpu")} |");
        sb.AppendLine($"| memory | {m("memory")} |");
        sb.AppendLine($"| kernel | {m("kernel")} |");
        sb.AppendLine($"| open-file limit | {m("nofile")} |");
        sb.AppendLine($"| load average at start | {m("loadavg")} |");
        sb.AppendLine($"| .NET SDK | {m("dotnet")} |");
        sb.AppendLine($"| node | {m("node")} |");
        sb.AppendLine($"| php | {m("php")} |");
        sb.AppendLine($"| socat | {m("socat")} |");
        sb.AppendLine($"| ncat | {m("ncat")} |");
        sb.AppendLine($"| gcc | {m("gcc")} |");
        sb.AppendLine($"| run | {m("run")}, commit {m("commit")}, {reps} repetition(s), {machine["duration"]} s measured after {machine["warmup"]} s warm-up per figure |");
        sb.AppendLine();

        sb.AppendLine("## Throughput");
        sb.AppendLine();
        sb.AppendLine("32-byte ping-pong (window 1: each connection sends a message and waits for its echo) in messages per second, and echo "
            + "streaming with 64 KiB in flight on each of 10 connections in MB/s. Every echoed byte is verified. Each cell is the median over the "
            + "repetitions; in brackets the median of the per-repetition ratios to the C loop. ⚠k/n: k of n runs reported errors or missing connections (see *Failures*).");
        sb.AppendLine();
        sb.AppendLine("| server | ping-pong, 1 conn | ping-pong, 100 conns | ping-pong, 1000 conns | stream, 10 conns (MB/s) |");
        sb.AppendLine("|---|--:|--:|--:|--:|");
        foreach (var s in Servers)
        {
            sb.AppendLine($"| {Names.GetValueOrDefault(s, s)} | {Cell(s, "pingpong-1", ["msgsPerSec"], "N0")} | {Cell(s, "pingpong-100", ["msgsPerSec"], "N0")} | "
                + $"{Cell(s, "pingpong-1000", ["msgsPerSec"], "N0")} | {Cell(s, "stream-10", ["mbPerSec"], "N0")} |");
        }

        sb.AppendLine();
        sb.AppendLine($"![ratios to the C epoll loop]({chartFile})");
        sb.AppendLine();

        sb.AppendLine("## Latency");
        sb.AppendLine();
        sb.AppendLine("Round-trip time of the ping-pong runs above, in microseconds (p50 / p99 / p99.9, medians over the repetitions). "
            + "At one connection this is mostly the cross-core wake-up of two processes; at 1000 it is mostly queueing.");
        sb.AppendLine();
        sb.AppendLine("| server | 1 conn | 100 conns | 1000 conns |");
        sb.AppendLine("|---|--:|--:|--:|");
        foreach (var s in Servers)
        {
            string L(string t) => Runs(s, t).Any()
                ? $"{N(MedianOf(s, t, "latencyUs", "p50"), "0.0")} / {N(MedianOf(s, t, "latencyUs", "p99"), "0.0")} / {N(MedianOf(s, t, "latencyUs", "p999"), "0.0")}"
                : "–";
            sb.AppendLine($"| {Names.GetValueOrDefault(s, s)} | {L("pingpong-1")} | {L("pingpong-100")} | {L("pingpong-1000")} |");
        }

        sb.AppendLine();
        sb.AppendLine("## Connections held, and the server's memory for them");
        sb.AppendLine();
        sb.AppendLine("`sockcat bench conns`: open N connections as fast as the server accepts them (from 8 source addresses for the large counts), "
            + "check that each echoes one byte, hold them, read the server's memory, check again. *held* is the number still echoing at the second check "
            + "(median); *connect* the seconds until the last one connected; *KB/conn* the growth of the server's resident memory "
            + "(VmRSS; for servers that fork a process per client, the Pss of the whole process tree) divided by the connections held. "
            + "Kernel socket buffers are not in any process's RSS and are not counted. socat and ncat fork a process per client; this script caps them at 2,000 "
            + "(`max-children`, `-m`) so as not to start 15,000 processes on a shared machine. The seed's PHP server cannot pass 1,024 descriptors (select's FD_SETSIZE).");
        sb.AppendLine();
        sb.AppendLine("| server | " + string.Join(" | ", big.Select(t => $"{int.Parse(t[6..]):N0}: held / connect s / KB/conn")) + " |");
        sb.AppendLine("|---|" + string.Concat(big.Select(_ => "--:|")));
        foreach (var s in Servers)
        {
            var cells = big.Select(t => Runs(s, t).Any()
                ? $"{N(MedianOf(s, t, "echoOkLast"))} / {N(MedianOf(s, t, "connectSeconds"), "0.00")} / {N(MedianOf(s, t, "serverKbPerConnection"), "0.00")}"
                  + (Failed(s, t) > 0 ? $" ⚠{Failed(s, t)}/{Reps(s, t)}" : "")
                : "–");
            sb.AppendLine($"| {Names.GetValueOrDefault(s, s)} | {string.Join(" | ", cells)} |");
        }

        sb.AppendLine();
        sb.AppendLine("## Is the load generator the bottleneck?");
        sb.AppendLine();
        sb.AppendLine("`sockcat bench pingpong` against the C server, beside a small C epoll client (`bench/c/pingpong_client.c`, same settings) "
            + "against the same server in the same repetition. A ratio of 1.0 or more means `sockcat bench` drives at least as much load as C does.");
        sb.AppendLine();
        sb.AppendLine("| connections | sockcat bench (msgs/s) | C client (msgs/s) | ratio (median of per-repetition ratios) |");
        sb.AppendLine("|--:|--:|--:|--:|");
        foreach (var c in new[] { 100, 1000 })
        {
            var ratio = Median(Runs("c", $"pingpong-{c}").Select(double? (r) =>
            {
                var cc = Runs("c", $"pingpong-{c}-cclient").FirstOrDefault(x => x.Rep == r.Rep)?.Get("msgsPerSec");
                return r.Get("msgsPerSec") is { } s && cc is { } v && v > 0 ? s / v : null;
            }));
            sb.AppendLine($"| {c} | {N(MedianOf("c", $"pingpong-{c}", "msgsPerSec"))} | {N(MedianOf("c", $"pingpong-{c}-cclient", "msgsPerSec"))} | {N(ratio, "0.00")} |");
        }

        sb.AppendLine();
        sb.AppendLine("## Failures");
        sb.AppendLine();
        var failures = rows.Where(r => r.Exit != 0).ToList();
        if (failures.Count == 0)
        {
            sb.AppendLine("None: every run connected every connection and every echoed byte matched.");
        }
        else
        {
            sb.AppendLine("Runs that reported errors (counted in the figures above only where noted with ⚠; ratios skip them):");
            sb.AppendLine();
            sb.AppendLine("| server | test | rep | exit | errors (connect / closed / verify / timeout) | first error |");
            sb.AppendLine("|---|---|--:|--:|---|---|");
            foreach (var r in failures)
            {
                var e = r.Result?["errors"];
                var counts = e is null ? "no result" : $"{e["connect"]} / {e["closed"]} / {e["verify"]} / {e["timeout"]}";
                sb.AppendLine($"| {r.Server} | {r.Test} | {r.Rep} | {r.Exit} | {counts} | {((string?)e?["first"] ?? "").Replace("|", "\\|")} |");
            }
        }

        sb.AppendLine();
        sb.AppendLine("## Reproduce");
        sb.AppendLine();
        sb.AppendLine("Everything above: `bench/run-echo.sh` (`--reps N`, default 3; `--quick` for a two-minute smoke run; `--servers c,node,...` for a subset). "
            + "It builds what it needs (Release), raises `ulimit -n` to the hard limit, starts each server on a free loopback port, runs the commands below "
            + "against it, stops it, and moves on to the next, rotating the order every repetition.");
        sb.AppendLine();
        sb.AppendLine("Servers (PORT is the free port the script picked):");
        sb.AppendLine();
        sb.AppendLine("```sh");
        foreach (var s in Servers)
        {
            var cmd = rows.First(r => r.Server == s).ServerCommand;
            sb.AppendLine($"{cmd.Replace(Directory.GetCurrentDirectory() + "/", "")}    # {Names.GetValueOrDefault(s, s)}");
        }

        sb.AppendLine("```");
        sb.AppendLine();
        sb.AppendLine("Each figure (the same for every server; `--json` added by the script):");
        sb.AppendLine();
        sb.AppendLine("```sh");
        foreach (var command in rows.Where(r => r.Command.Length > 0).GroupBy(r => r.Test).Select(g => (g.Key, g.First().Command)).Distinct())
        {
            sb.AppendLine($"{command.Command.Replace(Directory.GetCurrentDirectory() + "/", "")}    # {command.Key}");
        }

        sb.AppendLine("```");
        return sb.ToString();
    }

    public void Chart(string path)
    {
        string[] tests = ["pingpong-1", "pingpong-100", "pingpong-1000", "stream-10"];
        string[] labels = ["ping-pong, 1 conn", "ping-pong, 100 conns", "ping-pong, 1000 conns", "stream, 10 conns"];
        var servers = Servers.ToList();
        var plot = new Plot();
        var palette = new ScottPlot.Palettes.Category10();
        var bars = new List<Bar>();
        for (var g = 0; g < tests.Length; g++)
        {
            for (var s = 0; s < servers.Count; s++)
            {
                var path2 = tests[g].StartsWith("stream", StringComparison.Ordinal) ? "mbPerSec" : "msgsPerSec";
                var ratio = servers[s] == "c" ? (Runs("c", tests[g]).Any() ? 1.0 : null) : RatioToC(servers[s], tests[g], path2);
                if (ratio is { } r)
                {
                    bars.Add(new Bar { Position = (g * (servers.Count + 1)) + s, Value = r, FillColor = palette.GetColor(s) });
                }
            }
        }

        plot.Add.Bars(bars);
        for (var s = 0; s < servers.Count; s++)
        {
            plot.Legend.ManualItems.Add(new LegendItem { LabelText = Names.GetValueOrDefault(servers[s], servers[s]), FillColor = palette.GetColor(s) });
        }

        var line = plot.Add.HorizontalLine(1);
        line.LinePattern = LinePattern.Dashed;
        line.Color = Colors.Black.WithAlpha(0.5);
        var ticks = tests.Select((_, g) => (double)((g * (servers.Count + 1)) + ((servers.Count - 1) / 2.0))).ToArray();
        plot.Axes.Bottom.TickGenerator = new ScottPlot.TickGenerators.NumericManual(ticks, labels);
        plot.Axes.Margins(bottom: 0);
        plot.Title("Echo throughput relative to a C epoll loop (1.0 = C; median of per-run ratios)");
        plot.YLabel("x C");
        plot.ShowLegend(Alignment.UpperRight);
        plot.SavePng(path, 1100, 520);
    }
}
