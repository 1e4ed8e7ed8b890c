using System.Net;
using SockCat.Client.Proxy;
using SockCat.Endpoints;

namespace SockCat.Bench;

/// <summary>The settings of one load-generator run; <see cref="Validate"/> says what is wrong in user terms.</summary>
public sealed record BenchOptions
{
    public required BenchMode Mode { get; init; }

    public required EndpointUrl Url { get; init; }

    /// <summary>
    /// Chat mode: more servers (nodes of one chat) beside <see cref="Url"/>; users are spread round-robin over all of them
    /// by their place in their room, so every room has members on every node. Empty: every user on <see cref="Url"/>.
    /// </summary>
    public IReadOnlyList<EndpointUrl> AlsoUrls { get; init; } = [];

    public int Connections { get; init; } = 1;

    /// <summary>Bytes per message (pingpong); the unit of <see cref="MessageCount"/> for stream.</summary>
    public int MessageSize { get; init; } = 32;

    /// <summary>Seconds of measurement; null with a <see cref="MessageCount"/> means "until the count is done".</summary>
    public double? DurationSeconds { get; init; }

    /// <summary>Messages per connection; null means "until the duration is over".</summary>
    public long? MessageCount { get; init; }

    /// <summary>Pingpong messages in flight per connection.</summary>
    public int Window { get; init; } = 1;

    /// <summary>Stream bytes in flight per connection.</summary>
    public int InFlightBytes { get; init; } = 64 * 1024;

    public double WarmupSeconds { get; init; } = 1;

    /// <summary>Local addresses to bind client sockets to, round-robin; empty means the kernel chooses.</summary>
    public IReadOnlyList<IPAddress> Sources { get; init; } = [];

    /// <summary>Connects per second; 0 opens them as fast as the server takes them.</summary>
    public int ConnectRate { get; init; }

    /// <summary>Connects in progress at once.</summary>
    public int ConnectBurst { get; init; } = 1000;

    public double ConnectTimeoutSeconds { get; init; } = 10;

    /// <summary>Conns mode: seconds to hold the connections between the two echo checks.</summary>
    public double HoldSeconds { get; init; }

    /// <summary>Conns mode: the server's process, whose resident memory (with its children's) is read before and after.</summary>
    public int? ServerPid { get; init; }

    /// <summary>
    /// The I/O engine of pingpong and stream; null picks <see cref="BenchIo.Tls"/> for tls://, io_uring for pingpong
    /// where the kernel offers it, else epoll.
    /// </summary>
    public BenchIo? Io { get; init; }

    /// <summary>Epoll loop threads of the client (the async and tls drivers run on the thread pool and ignore it).</summary>
    public int Threads { get; init; } = 1;

    /// <summary>Chat mode: rooms the connections are spread over (connection i in room i mod Rooms).</summary>
    public int Rooms { get; init; } = 1;

    /// <summary>
    /// Chat mode: <c>line</c> (sockcat's line protocol: /nick and /join first), <c>ncat</c> (ncat --chat: nothing first, one
    /// room) or <c>irc</c> (NICK, USER and JOIN first; each line a PRIVMSG to the room).
    /// </summary>
    public string ChatProtocol { get; init; } = "line";

    /// <summary>
    /// Chat mode: lines a second each user sends, spread evenly over the users (an open loop, at a chat's pace, for latency);
    /// 0 sends as fast as <see cref="Window"/> allows (a closed loop, for throughput).
    /// </summary>
    public double LinesPerSecondPerUser { get; init; }

    /// <summary>
    /// Pingpong and stream: connect each connection through this proxy (SOCKS5, SOCKS4a, HTTP CONNECT), on the async
    /// driver (<see cref="BenchIo.Async"/>, or <see cref="BenchIo.Tls"/> for tls://), to measure a path through it; null connects directly.
    /// </summary>
    public ProxyUrl? Proxy { get; init; }

    /// <summary>Seconds the run waits at the end for echoes still in flight before counting them as errors.</summary>
    public double DrainSeconds { get; init; } = 3;

    public const int MaxMessageSize = BenchPattern.MaxChunk;

    /// <summary>Null when the options can run; otherwise the one-line reason and what to do.</summary>
    public string? Validate()
    {
        if (Url.Scheme is not (EndpointScheme.Tcp or EndpointScheme.Unix or EndpointScheme.Tls))
        {
            return $"bench speaks tcp://, unix:// and tls:// only, not {EndpointUrl.SchemeName(Url.Scheme)}://; use e.g. tcp://127.0.0.1:4444";
        }

        if (Url.Scheme is EndpointScheme.Tcp or EndpointScheme.Tls && Url.Port == 0)
        {
            return $"bench needs the server's port; give it, e.g. {EndpointUrl.SchemeName(Url.Scheme)}://127.0.0.1:4444";
        }

        if (Proxy is not null && (Mode is not (BenchMode.PingPong or BenchMode.Stream) || Url.Scheme == EndpointScheme.Unix))
        {
            return "a proxy carries bench pingpong and stream over tcp:// and tls://; leave the proxy out";
        }

        if (Proxy is not null && Io is BenchIo.Epoll or BenchIo.Uring)
        {
            return "through a proxy bench runs on the async driver (the handshake comes before the first message); leave out --io, or give --io async";
        }

        if (Mode == BenchMode.Conns && (Url.Scheme == EndpointScheme.Tls || Io is BenchIo.Async or BenchIo.Tls))
        {
            return "bench conns runs on the epoll loop over tcp:// and unix:// only; measure tls:// with pingpong or stream";
        }

        if (Url.Scheme == EndpointScheme.Tls && Io is BenchIo.Epoll or BenchIo.Uring or BenchIo.Async)
        {
            return "tls:// runs on the load generator's SslStream driver; leave out --io (or give --io tls)";
        }

        if (Url.Scheme != EndpointScheme.Tls && Io == BenchIo.Tls)
        {
            return "--io tls needs a tls:// URL; for the same driver without TLS use --io async";
        }

        if (Mode == BenchMode.Broadcast && (Url.Scheme == EndpointScheme.Tls || Io is not (null or BenchIo.Epoll)))
        {
            return "bench broadcast runs on the epoll loop over tcp:// and unix:// only";
        }

        if (Mode == BenchMode.Broadcast && (Connections < 2 || MessageSize < FanOutLine.MinimumSize))
        {
            return $"bench broadcast needs --connections 2 or more and --size {FanOutLine.MinimumSize} or more (a line carries its sender, number and send time)";
        }

        if (Mode == BenchMode.Chat && (Url.Scheme == EndpointScheme.Tls || Io is not (null or BenchIo.Epoll)))
        {
            return "bench chat runs on the epoll loop over tcp:// and unix:// only";
        }

        if (Mode == BenchMode.Chat && (Rooms < 1 || Connections < 2 * Rooms || MessageSize < FanOutLine.MinimumSize))
        {
            return $"bench chat needs --rooms 1 or more, --connections at least twice --rooms and --size {FanOutLine.MinimumSize} or more (a line carries its sender, number and send time)";
        }

        if (AlsoUrls.Count > 0 && Mode != BenchMode.Chat)
        {
            return "--also applies to bench chat only";
        }

        foreach (var also in AlsoUrls)
        {
            if (also.Scheme is not (EndpointScheme.Tcp or EndpointScheme.Unix) || (also.Scheme == EndpointScheme.Tcp && also.Port == 0))
            {
                return $"--also {also}: bench chat needs a tcp://host:port or unix:///path.sock; e.g. --also tcp://127.0.0.1:4445";
            }
        }

        if (Mode == BenchMode.Chat && LinesPerSecondPerUser < 0)
        {
            return "--line-rate must be 0 (as fast as --window allows) or more; e.g. --line-rate 1";
        }

        if (Mode == BenchMode.Chat && ChatProtocol is not ("line" or "ncat" or "irc"))
        {
            return $"bench chat speaks --protocol line, ncat or irc, not {ChatProtocol}";
        }

        if (Mode == BenchMode.Chat && ChatProtocol == "ncat" && Rooms != 1)
        {
            return "ncat --chat has one room; give --rooms 1 with --protocol ncat";
        }

        if (Connections < 1)
        {
            return "--connections must be at least 1; e.g. -c 100";
        }

        if (MessageSize < 1 || MessageSize > MaxMessageSize)
        {
            return $"--size must be 1 to {MaxMessageSize} bytes; e.g. -s 32";
        }

        if (Window < 1 || (long)Window * MessageSize > 16L * 1024 * 1024)
        {
            return $"--window {Window} with messages of {MessageSize} bytes is more than 16 MiB in flight per connection; give --window 1 to {16 * 1024 * 1024 / MessageSize}";
        }

        if (InFlightBytes < 1 || InFlightBytes > 16 * 1024 * 1024)
        {
            return "--inflight must be 1 byte to 16 MiB; e.g. --inflight 65536";
        }

        if (DurationSeconds is <= 0)
        {
            return "--duration must be more than 0 seconds; e.g. -d 10";
        }

        if (MessageCount is <= 0)
        {
            return "--count must be 1 or more; e.g. -n 100000";
        }

        if (WarmupSeconds < 0)
        {
            return "--warmup must be 0 seconds or more; e.g. --warmup 1";
        }

        if (HoldSeconds < 0)
        {
            return "--hold must be 0 seconds or more; e.g. --hold 10";
        }

        if (ConnectTimeoutSeconds <= 0)
        {
            return "--connect-timeout must be more than 0 seconds; e.g. --connect-timeout 10";
        }

        if (DrainSeconds < 0)
        {
            return "the drain time must be 0 seconds or more";
        }

        if (Threads < 1 || Threads > 64)
        {
            return "--threads must be 1 to 64; e.g. --threads 2";
        }

        if (ConnectRate < 0)
        {
            return "--rate must be 0 (as fast as the server accepts) or more; e.g. --rate 1000";
        }

        if (ConnectBurst < 1)
        {
            return "--burst must be 1 or more; e.g. --burst 1000";
        }

        if (Sources.Count > 0 && Url.Scheme == EndpointScheme.Unix)
        {
            return "--source and --sources apply to tcp:// only";
        }

        return null;
    }
}
