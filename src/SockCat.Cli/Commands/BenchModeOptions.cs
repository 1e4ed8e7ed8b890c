using System.CommandLine;
using SockCat.Bench;

namespace SockCat.Cli.Commands;

/// <summary>Every option of the three modes; <see cref="AddTo"/> gives each mode only those it uses, so its --help lists no others.</summary>
internal sealed class BenchModeOptions(BenchMode mode)
{
    public readonly Argument<string> Url = CommonOptions.Url(mode switch
    {
        BenchMode.Conns => "The echo server: tcp://host:port or unix:///path.sock",
        BenchMode.Broadcast => "The broker: tcp://host:port or unix:///path.sock",
        BenchMode.Chat => "The chat server: tcp://host:port or unix:///path.sock",
        _ => "The echo server: tcp://host:port, unix:///path.sock or tls://host:port",
    });

    public readonly Option<int?> Connections = new Option<int?>("--connections", "-c")
    {
        Description = mode switch
        {
            BenchMode.Conns => "Connections to open and hold [default: 1000]",
            BenchMode.Broadcast => "Connections, each sending its own lines to all the others [default: 100]",
            BenchMode.Chat => "Connections (users), spread over --rooms, each sending its own lines to its room [default: 100]",
            _ => "Connections, each with its own traffic [default: 1]",
        },
        HelpName = "N",
    }.Whole(new NumberRule("connections", mode == BenchMode.Conns ? "10000" : "100", Min: 1));

    public readonly Option<int> Size = new Option<int>("--size", "-s")
    {
        Description = mode switch
        {
            BenchMode.PingPong => "Message size in bytes",
            BenchMode.Broadcast or BenchMode.Chat => "Line size in bytes, the newline included",
            _ => "Bytes per message, the unit of --count",
        },
        HelpName = "BYTES",
        DefaultValueFactory = _ => mode is BenchMode.Broadcast or BenchMode.Chat ? 64 : 32,
    }.Whole(new NumberRule("bytes", "32", Min: 1, Max: BenchOptions.MaxMessageSize));

    public readonly Option<double?> Duration = new Option<double?>("--duration", "-d")
    {
        Description = "Seconds to measure [default: 10 unless --count is given]",
        HelpName = "SECONDS",
    }.Real(NumberRule.Seconds("10"));

    public readonly Option<long?> Count = new Option<long?>("--count", "-n")
    {
        Description = mode == BenchMode.PingPong
            ? "Messages per connection; the run ends when all are echoed"
            : "Messages of --size bytes per connection; the run ends when all are echoed",
        HelpName = "N",
    }.Whole(new NumberRule("messages", "100000", Min: 1));

    public readonly Option<int> Window = new Option<int>("--window")
    {
        Description = "Messages in flight per connection (window x size at most 16 MiB)",
        HelpName = "N",
        DefaultValueFactory = _ => 1,
    }.Whole(new NumberRule("messages", "8", Min: 1));

    public readonly Option<int> InFlight = new Option<int>("--inflight")
    {
        Description = "Bytes in flight per connection",
        HelpName = "BYTES",
        DefaultValueFactory = _ => 64 * 1024,
    }.Whole(new NumberRule("bytes", "65536", Min: 1, Max: 16 * 1024 * 1024));

    public readonly Option<double?> Warmup = new Option<double?>("--warmup")
    {
        Description = "Seconds of traffic before measuring [default: 1; 0 with --count alone]",
        HelpName = "SECONDS",
    }.Real(NumberRule.SecondsOrZero("1"));

    public readonly Option<string?> Source = new("--source")
    {
        Description = "Local addresses to bind to, round-robin: 127.0.0.1,127.0.0.2,...",
        HelpName = "ADDRS",
    };

    public readonly Option<int?> Sources = new Option<int?>("--sources")
    {
        Description = "Bind to 127.0.0.1 .. 127.0.0.N round-robin (more than ~28,000 connections need several)",
        HelpName = "N",
    }.Whole(new NumberRule("", "4", Min: 1, Max: 254));

    public readonly Option<int> Rate = new Option<int>("--rate")
    {
        Description = "Connects per second (0: as fast as the server accepts)",
        HelpName = "N",
        DefaultValueFactory = _ => 0,
    }.Whole(new NumberRule("", "1000", Min: 0));

    public readonly Option<int> Burst = new Option<int>("--burst")
    {
        Description = "Connects in progress at once",
        HelpName = "N",
        DefaultValueFactory = _ => 1000,
    }.Whole(new NumberRule("", "1000", Min: 1));

    public readonly Option<double> ConnectTimeout = new Option<double>("--connect-timeout")
    {
        Description = "Seconds before a connect, or an echo check, counts as failed",
        HelpName = "SECONDS",
        DefaultValueFactory = _ => 10,
    }.Real(NumberRule.Seconds("10"));

    public readonly Option<double> Hold = new Option<double>("--hold")
    {
        Description = "Seconds to hold the connections between the two echo checks",
        HelpName = "SECONDS",
        DefaultValueFactory = _ => 0,
    }.Real(NumberRule.SecondsOrZero("10"));

    public readonly Option<int?> ServerPid = new Option<int?>("--server-pid")
    {
        Description = "The server's PID, to report its memory (VmRSS, with its children) per connection",
        HelpName = "PID",
    }.Whole(new NumberRule("", "1234", Min: 1));

    public readonly Option<int> Threads = new Option<int>("--threads")
    {
        Description = "Client loop threads",
        HelpName = "N",
        DefaultValueFactory = _ => 1,
    }.Whole(new NumberRule("", "2", Min: 1, Max: 64));

    public readonly Option<string?> Io = new Option<string?>("--io")
    {
        Description = mode == BenchMode.PingPong
            ? "uring (io_uring, the default where the kernel offers it), epoll, tls (SslStream; tls://'s only driver) or async (the same driver without TLS, to compare)"
            : "epoll (the default), uring (io_uring), tls (SslStream; tls://'s only driver) or async (the same driver without TLS, to compare)",
    }.OneOf("epoll", "uring", "async", "tls");

    /// <summary>The option's value, or its default where this mode does not take it (GetValue would give 0).</summary>
    public T Get<T>(ParseResult p, Option<T> option)
        where T : struct =>
        p.CommandResult.Command.Options.Contains(option) ? p.GetValue(option) : (T)option.GetDefaultValue()!;

    public readonly Option<int> Rooms = new Option<int>("--rooms")
    {
        Description = "Rooms the connections are spread over (connection i in room i mod N)",
        HelpName = "N",
        DefaultValueFactory = _ => 1,
    }.Whole(new NumberRule("rooms", "50", Min: 1));

    public readonly Option<string> ChatProtocol = new Option<string>("--protocol")
    {
        Description = "line (sockcat serve chat's line protocol: /nick and /join first), ncat (ncat --chat: nothing first, one room) or irc (NICK, USER, JOIN #rN; each line a PRIVMSG: serve chat or an IRC server)",
        DefaultValueFactory = _ => "line",
    }.OneOf("line", "ncat", "irc");

    public readonly Option<double> LineRate = new Option<double>("--line-rate")
    {
        Description = "Lines a second each user sends, spread evenly over the users (latency at a chat's pace); 0: as fast as --window allows (throughput)",
        HelpName = "N",
        DefaultValueFactory = _ => 0,
    }.Real(new NumberRule("lines a second", "1", Min: 0));

    public readonly Option<string[]> Also = new("--also")
    {
        Description = "Another node of the same chat (repeatable): users are spread round-robin over URL and these, each room over every node, and every line is still checked at every member",
        HelpName = "URL",
    };

    public readonly Option<bool> Json = new("--json") { Description = "Print the result as one JSON object on stdout" };
    public readonly Option<bool> NoProgress = new("--no-progress") { Description = "No progress line on stderr" };

    /// <summary>pingpong and stream: --proxy and --no-proxy (and ALL_PROXY), on the async driver.</summary>
    public readonly ProxyOptions Proxy = new();

    public void AddTo(Command command)
    {
        command.Arguments.Add(Url);
        Option[] traffic = mode is BenchMode.PingPong or BenchMode.Broadcast or BenchMode.Chat ? [Size, Duration, Count, Window, Warmup] : [Size, Duration, Count, InFlight, Warmup];
        Option[] options = mode switch
        {
            BenchMode.Conns => [Connections, Source, Sources, Rate, Burst, ConnectTimeout, Hold, ServerPid, Threads, Json, NoProgress],
            // The broadcast driver runs on one epoll loop, connects all at once and measures for a duration: none of --io,
            // --count, the connect pacing, the sources or --threads applies to it.
            BenchMode.Broadcast => [Connections, Size, Duration, Window, Warmup, ConnectTimeout, Json, NoProgress],
            BenchMode.Chat => [Connections, Rooms, ChatProtocol, LineRate, Size, Duration, Window, Warmup, ConnectTimeout, Also, Json, NoProgress],
            _ => [Connections, .. traffic, Source, Sources, Rate, Burst, ConnectTimeout, Threads, Io, Json, NoProgress],
        };
        foreach (var o in options)
        {
            command.Options.Add(o);
        }

        if (mode is BenchMode.PingPong or BenchMode.Stream)
        {
            Proxy.AddTo(command);
        }
    }
}
