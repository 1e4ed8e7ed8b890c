using Microsoft.Extensions.Logging.Abstractions;
using BenchmarkDotNet.Attributes;
using SockCat.Endpoints;
using SockCat.Server;
using SockCat.Server.Transport;
using SockCat.Services.Echo;

namespace SockCat.Benchmarks;

/// <summary>
/// What one echoed message costs in user space on each of the engine's paths, with sockets taken out: the kernel's share
/// (recv, send, epoll_wait) is measured separately by bench/perf/profile-echo.sh. Each benchmark echoes
/// <see cref="Messages"/> messages per invocation, so Mean and Allocated read per message; the baseline is the one copy
/// every echo must make. Zero in "Allocated" is the performance issue's "no managed allocation per echoed message".
/// </summary>
[MemoryDiagnoser]
public class EchoPathBenchmarks
{
    private const int Messages = 1000;

    // Typed as the interface, as the engine holds it, so the call dispatches as it does in the server.
    private readonly IConnectionProtocol _echo = EchoProtocol.Instance;
    private byte[] _message = [];
    private byte[] _sink = [];
    private InMemoryConnection _memory = null!;
    private EpollLoop _loop = null!;
    private EpollConnection _epoll = null!;
    private PooledByteQueue _queue;
    private KestrelBridgeEcho _kestrel = null!;

    /// <summary>Bytes per message: the ping-pong benchmark's 32, and a full 64 KiB receive buffer.</summary>
    [Params(32, 64 * 1024)]
    public int Size { get; set; }

    [GlobalSetup]
    public void Setup()
    {
        _message = new byte[Size];
        new Random(Size).NextBytes(_message);
        _sink = new byte[Size];
        _memory = new InMemoryConnection(Size);

        var host = new ServerHost(new ServerOptions(), NullLogger.Instance, NullLoggerFactory.Instance, new ConnectionRegistry(), int.MaxValue);
        var binding = new ListenerBinding(EndpointUrl.Parse("tcp://127.0.0.1:7"), _ => EchoProtocol.Instance);
        // A loop that is never started: its scratch buffer is real, its epoll and eventfd descriptors stay unused and go
        // with the benchmark's process. The connection's descriptor is never touched by the write path measured here.
        _loop = new EpollLoop(host, 0, []);
        _epoll = new EpollConnection(_loop, binding, fd: -1, generation: 2, id: 1, default);

        _kestrel = new KestrelBridgeEcho(2 * Size);

        // Every path must echo the message byte for byte, or its figure means nothing.
        _echo.OnReceived(_memory, _message);
        Verify(_memory.Written, nameof(EchoProtocol_InMemoryConnection));
        _memory.Reset();

        _loop.ScratchOwner = _epoll;
        _echo.OnReceived(_epoll, _message);
        Verify(_loop.Scratch.AsSpan(0, _loop.ScratchLength), nameof(EchoProtocol_EpollConnection));
        _loop.ScratchLength = 0;
        _loop.ScratchOwner = null;

        _queue.Append(_message);
        Verify(_queue.Readable, nameof(PooledByteQueue_AppendConsume));
        _queue.Consume(_queue.Length);

        Verify(_kestrel.Echo(_message), nameof(KestrelOverLoop_Echo));
    }

    [GlobalCleanup]
    public void Cleanup() => _kestrel.DisposeAsync().AsTask().GetAwaiter().GetResult();

    /// <summary>The physical minimum: the message's bytes copied once into an output buffer.</summary>
    [Benchmark(Baseline = true, OperationsPerInvoke = Messages)]
    public int SpanCopy()
    {
        var total = 0;
        for (var i = 0; i < Messages; i++)
        {
            _message.AsSpan().CopyTo(_sink);
            total += _sink.Length;
        }

        return total;
    }

    /// <summary>The protocol alone: EchoProtocol.OnReceived writing into a plain in-memory connection.</summary>
    [Benchmark(OperationsPerInvoke = Messages)]
    public int EchoProtocol_InMemoryConnection()
    {
        var total = 0;
        for (var i = 0; i < Messages; i++)
        {
            total += _echo.OnReceived(_memory, _message);
            _memory.Reset();
        }

        return total;
    }

    /// <summary>
    /// The epoll engine's fast path: a protocol call on the loop (the connection owns the loop's scratch buffer while it
    /// runs) and EpollConnection.Write copying into that scratch buffer. Resetting ScratchLength stands in for the one send
    /// that takes it all, as in ping-pong.
    /// </summary>
    [Benchmark(OperationsPerInvoke = Messages)]
    public int EchoProtocol_EpollConnection()
    {
        var total = 0;
        for (var i = 0; i < Messages; i++)
        {
            _loop.ScratchOwner = _epoll;
            total += _echo.OnReceived(_epoll, _message);
            total += _loop.ScratchLength;
            _loop.ScratchLength = 0;
            _loop.ScratchOwner = null;
        }

        return total;
    }

    /// <summary>
    /// The epoll engine's slow path, once per message: the peer took none of the echo, so it is queued in the connection's
    /// pooled queue (renting an array), then EPOLLOUT drains it (returning the array). It also is how unconsumed input is held.
    /// </summary>
    [Benchmark(OperationsPerInvoke = Messages)]
    public int PooledByteQueue_AppendConsume()
    {
        var total = 0;
        for (var i = 0; i < Messages; i++)
        {
            _queue.Append(_message);
            total += _queue.Length;
            _queue.Consume(_queue.Length);
        }

        return total;
    }

    /// <summary>
    /// The Kestrel-hosted path on the epoll loop (<c>--transport kestrel-epoll</c>): input pipe, Kestrel handler, KestrelConnection,
    /// output pipe and the bridge's pump back to the loop's connection, for one received message.
    /// </summary>
    [Benchmark(OperationsPerInvoke = Messages)]
    public int KestrelOverLoop_Echo()
    {
        var total = 0;
        for (var i = 0; i < Messages; i++)
        {
            total += _kestrel.Echo(_message).Length;
        }

        return total;
    }

    private void Verify(ReadOnlySpan<byte> echoed, string path)
    {
        if (!echoed.SequenceEqual(_message))
        {
            throw new InvalidOperationException($"{path} echoed {echoed.Length} bytes that differ from the {_message.Length} sent");
        }
    }
}
