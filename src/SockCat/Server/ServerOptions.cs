using System.Net;
using System.Net.Security;
using System.Security.Cryptography.X509Certificates;

namespace SockCat.Server;

/// <summary>
/// How a <see cref="SockCatServer"/> listens, and the limits it keeps. Every limit has a default that is safe for a
/// server on the open internet; set it lower or higher here, or with the matching <c>sockcat serve</c> flag.
/// </summary>
public sealed class ServerOptions
{
    /// <summary>The default bound on a connection's unsent output: 256 KiB.</summary>
    public const int DefaultMaxOutputQueueBytes = 256 * 1024;

    /// <summary>The default bound on input a protocol leaves unconsumed: 1 MiB.</summary>
    public const int DefaultMaxInputBufferBytes = 1024 * 1024;

    /// <summary>
    /// Open files a server keeps for itself (the runtime, epoll and event descriptors, listeners, logs) when it
    /// derives <see cref="MaxConnections"/> from the open-file limit.
    /// </summary>
    public const int FileDescriptorReserve = 100;

    /// <summary>
    /// The transport for tcp and unix listeners; tls listeners are always hosted by Kestrel's pipeline, over the epoll
    /// loop where tcp runs on it (so they can half-close) and over Kestrel's sockets with <see cref="ServerTransport.Kestrel"/>.
    /// Defaults to <see cref="ServerTransport.Auto"/>: the epoll loop on Linux x86-64, Kestrel's sockets elsewhere.
    /// </summary>
    public ServerTransport Transport { get; set; } = ServerTransport.Auto;

    /// <summary>
    /// Epoll loop threads; each connection stays on the loop that accepted it. Defaults to null:
    /// <see cref="DefaultLoopCount"/>, half the processors. Ignored (one loop) when <see cref="SingleClient"/> is set.
    /// </summary>
    public int? LoopCount { get; set; }

    /// <summary>
    /// Half the processors, at least one. Nearly all of an echoed message's cost is the kernel's TCP work, which needs
    /// cores beside the loops; on a 2-core machine a second loop turned 0.02 epoll_wait calls and context switches per
    /// message into 0.2 (docs/performance.md).
    /// </summary>
    public static int DefaultLoopCount => Math.Max(1, Environment.ProcessorCount / 2);

    /// <summary>
    /// Connections served at once; one more is sent a line saying the server is full and closed. Defaults to null:
    /// the process's open-file limit (raised to its hard limit at start) less <see cref="FileDescriptorReserve"/>.
    /// A value the open-file limit cannot hold makes <see cref="SockCatServer.StartAsync(CancellationToken)"/> fail.
    /// </summary>
    public int? MaxConnections { get; set; }

    /// <summary>
    /// A connection with no bytes moving either way for this long is closed. Checked coarsely (a quarter of the
    /// timeout, at most once a second), at no cost per message. Defaults to null: no idle timeout.
    /// </summary>
    public TimeSpan? IdleTimeout { get; set; }

    /// <summary>
    /// The bound on a connection's outbound queue, in bytes: backpressure. While more than this is queued the server
    /// stops reading from the peer (a client that writes without reading is throttled, not buffered), and a producer off
    /// the connection's thread waits in <see cref="IConnection.WriteAsync"/> until the peer has taken it. Output a protocol
    /// or a posted callback writes regardless is held up to <see cref="SlowConsumerLimitBytes"/>. Defaults to 256 KiB.
    /// Unlimited server buffering is a memory risk: one slow reader could hold the whole heap.
    /// </summary>
    public int MaxOutputQueueBytes { get; set; } = DefaultMaxOutputQueueBytes;

    /// <summary>
    /// The slow-consumer rule: a connection whose outbound queue would pass this many bytes (output written for a peer
    /// that is not reading, faster than backpressure can hold it back: a chat room's fan-out, a broadcast) is cut at once,
    /// its queued output dropped, with the reason logged (event <c>SlowConsumer</c>) and its protocol told
    /// (<see cref="IConnectionProtocol.OnSlowConsumer"/>), so one slow reader never holds the server's memory or slows the
    /// others down. As Redis cuts a slow pub/sub subscriber and an IRC server a client over its SendQ. Must be more than
    /// <see cref="MaxOutputQueueBytes"/>. Defaults to null: twice <see cref="MaxOutputQueueBytes"/> (512 KiB).
    /// </summary>
    public int? SlowConsumerLimitBytes { get; set; }

    /// <summary>
    /// The bound on input a protocol leaves unconsumed (a frame it is still waiting to complete), in bytes; over it the
    /// connection is closed with a reason. Defaults to 1 MiB.
    /// </summary>
    public int MaxInputBufferBytes { get; set; } = DefaultMaxInputBufferBytes;

    /// <summary>
    /// The listen backlog: connections the kernel completes and holds until they are accepted. Defaults to 65535,
    /// which the kernel caps at <c>net.core.somaxconn</c> (4096 on Debian 12), so a burst of thousands of connects
    /// is queued rather than dropped.
    /// </summary>
    public int ListenBacklog { get; set; } = 65535;

    /// <summary>
    /// The seed's first server: one client at a time; the others wait in the listen backlog and are served in the
    /// order they arrived (on Kestrel they are accepted but wait, unread, in arrival order; a tls:// client waits
    /// before its handshake). Defaults to false: every client at once.
    /// </summary>
    public bool SingleClient { get; set; }

    /// <summary>
    /// Decides, from the peer's address alone, whether a connection may be served; a denied peer is closed before any
    /// byte is read from it, and the denial is logged. Unix socket peers are not filtered. Defaults to null: everyone.
    /// </summary>
    public Func<IPAddress, bool>? AcceptFilter { get; set; }

    /// <summary>
    /// The TLS settings for tls:// listeners (certificate, protocols). Defaults to null: built from
    /// <see cref="ServerCertificate"/> with TLS 1.2 and 1.3 only.
    /// </summary>
    public SslServerAuthenticationOptions? TlsOptions { get; set; }

    /// <summary>The certificate tls:// listeners present when <see cref="TlsOptions"/> is not set. Defaults to null: tls:// cannot start.</summary>
    public X509Certificate2? ServerCertificate { get; set; }

    /// <summary>A TLS handshake that has not finished in this time is cut. Defaults to 10 seconds.</summary>
    public TimeSpan TlsHandshakeTimeout { get; set; } = TimeSpan.FromSeconds(10);

    /// <summary>
    /// How long <see cref="SockCatServer.StopAsync"/> lets open connections finish, after it stops accepting, before
    /// closing them. Defaults to 5 seconds.
    /// </summary>
    public TimeSpan DrainTimeout { get; set; } = TimeSpan.FromSeconds(5);

    /// <summary>
    /// The web side: the routes a service maps on ws://, http://, wss:// and https:// listeners, and the WebSocket
    /// limits there (message size, origins, keep-alive, send queue). Defaults to a <see cref="Web.WebOptions"/> with no
    /// routes, so web listeners are refused until a service maps some.
    /// </summary>
    public Web.WebOptions Web { get; set; } = new();

    /// <summary>
    /// Told of every chunk each stream connection receives and sends (<see cref="Streams.TrafficDump"/> writes them as
    /// <c>ncat --hex-dump</c> does), on the epoll loop and on Kestrel alike. Defaults to null: nothing observed, at the
    /// cost of one null check per chunk.
    /// </summary>
    public IConnectionTrafficObserver? TrafficObserver { get; set; }

    /// <summary>
    /// Runs the epoll loop threads under Linux's <c>SCHED_BATCH</c> policy (same priority, no wakeup preemption): a loop
    /// woken by a pipe or a socket no longer preempts the thread that woke it, but runs when that thread blocks, on the
    /// same CPU. For a relay whose producer runs on this machine (serve exec's program writing a line, then sleeping),
    /// the loop then sends while alone on that CPU, and the kernel wakes the client there too rather than on the other,
    /// idle CPU through an interrupt, which on a virtual machine means waking an idle vCPU. Traced on a 2-vCPU VM with
    /// serve exec, the client was woken on the loop's CPU for 1,993-2,000 lines of 2,000, against about half without
    /// (docs/benchmarks.md, "serve exec's loops do not preempt their program"). A CPU-bound producer delays the loop by
    /// at most its time slice. Ignored where the transport is not the epoll loop. Defaults to false: the loops preempt
    /// as ordinary threads do.
    /// </summary>
    public bool BatchScheduling { get; set; }

    /// <summary>
    /// Asked by the epoll loop before each accept: while false, new connections stay in the kernel's backlog and the
    /// loop asks again a few milliseconds later. For a consumer that takes accepted connections at its own pace
    /// (Kestrel's accept loop over <c>EpollConnectionListener</c>), so a burst waits rather than being reset.
    /// </summary>
    internal Func<bool>? AcceptGate { get; set; }
}
