using System.IO.Pipelines;
using System.Net;
using System.Threading.Channels;
using Microsoft.AspNetCore.Connections;
using SockCat.Endpoints;

namespace SockCat.Server.Hosting;

/// <summary>
/// One Kestrel listener on the engine's epoll loop: an inner <see cref="SockCatServer"/> (<see cref="ServerTransport.Epoll"/>,
/// no log, no limits of its own) whose protocol is <see cref="EpollBridgeConnection"/>, which turns each accepted
/// connection into a <see cref="ConnectionContext"/> and queues it for <see cref="AcceptAsync"/>. Admission, the
/// connection limit, the idle timeout and the log lines stay the outer server's, in Kestrel's pipeline, as on the socket
/// transport. The loop needs no change for this: it only sees one more sans-IO protocol.
/// </summary>
internal sealed class EpollConnectionListener : IConnectionListener
{
    // Accepted connections Kestrel has not taken yet. Kestrel's accept loop takes them one at a time and can fall behind a
    // burst (at 19,000 connects a full queue reset 188 of them), so the loops stop accepting at half of it and the rest
    // of the burst waits in the kernel's backlog; the other half is room for the batches loops had already begun.
    private const int AcceptQueueCapacity = 1024;

    private readonly Channel<EpollBridgeConnection> _accepted = Channel.CreateBounded<EpollBridgeConnection>(
        new BoundedChannelOptions(AcceptQueueCapacity) { SingleReader = true, FullMode = BoundedChannelFullMode.Wait });

    private readonly CancellationTokenSource _endDrain = new();
    private readonly SockCatServer _inner;

    private readonly ArrivalOrderGate? _arrivals;

    public EpollConnectionListener(ServerOptions options, ArrivalOrderGate? arrivals = null)
    {
        _arrivals = arrivals;
        var bound = options.MaxOutputQueueBytes;
        OutputBound = bound;
        // The output pipe holds what Kestrel's side wrote and the loop has not taken: the outbound bound, as the socket
        // transport's MaxWriteBufferSize, so a protocol's flush waits (backpressure) while the loop's queue is full.
        OutputPipeOptions = new PipeOptions(
            pauseWriterThreshold: bound, resumeWriterThreshold: bound / 2,
            readerScheduler: PipeScheduler.Inline, writerScheduler: PipeScheduler.Inline,
            minimumSegmentSize: 16 * 1024, useSynchronizationContext: false);
        // The input pipe must let a protocol's unconsumed input pass MaxInputBufferBytes (or the limit could never be seen
        // and the connection would stall), and must resume whenever what is held is within the limit (or a protocol waiting
        // for the rest of a frame would wait forever): pause a receive buffer above the limit, resume just over it.
        var input = options.MaxInputBufferBytes;
        InputPipeOptions = new PipeOptions(
            pauseWriterThreshold: input + 64 * 1024, resumeWriterThreshold: input + 1,
            readerScheduler: PipeScheduler.Inline, writerScheduler: PipeScheduler.Inline,
            minimumSegmentSize: 16 * 1024, useSynchronizationContext: false);
        _inner = new SockCatServer(c => new EpollBridgeConnection(this, c), new ServerOptions
        {
            Transport = ServerTransport.Epoll,
            LoopCount = options.SingleClient ? 1 : options.LoopCount,
            MaxOutputQueueBytes = options.MaxOutputQueueBytes,
            // The bridge consumes all input; the limit is kept by the outer server's handler.
            MaxInputBufferBytes = options.MaxInputBufferBytes,
            ListenBacklog = options.ListenBacklog,
            AcceptGate = () => _accepted.Reader.Count < AcceptQueueCapacity / 2,
        });
    }

    /// <summary>The bound address (with the port the system chose for port 0).</summary>
    public EndPoint EndPoint { get; private set; } = new IPEndPoint(IPAddress.None, 0);

    internal int OutputBound { get; }

    internal PipeOptions InputPipeOptions { get; }

    internal PipeOptions OutputPipeOptions { get; }

    internal async Task BindAsync(EndpointUrl url, EndPoint endPoint, CancellationToken cancellationToken)
    {
        var bound = (await _inner.StartAsync([url], cancellationToken).ConfigureAwait(false))[0];
        EndPoint = endPoint is IPEndPoint ip ? new IPEndPoint(ip.Address, bound.Port) : endPoint;
    }

    /// <summary>Called on the loop thread when a connection is established; false when it cannot be queued.</summary>
    internal bool TryEnqueue(EpollBridgeConnection connection) => _accepted.Writer.TryWrite(connection);

    public async ValueTask<ConnectionContext?> AcceptAsync(CancellationToken cancellationToken = default)
    {
        while (await _accepted.Reader.WaitToReadAsync(cancellationToken).ConfigureAwait(false))
        {
            if (_accepted.Reader.TryRead(out var connection))
            {
                if (_arrivals is not null)
                {
                    // Kestrel's accept loop calls this in turn; from here on each connection's pipeline runs on its own.
                    connection.Items[KestrelTransport.ArrivalKey] = _arrivals.Take();
                }

                return connection;
            }
        }

        return null;
    }

    public ValueTask UnbindAsync(CancellationToken cancellationToken = default)
    {
        _accepted.Writer.TryComplete();
        // Stops accepting at once; open connections are Kestrel's to finish (or abort) until DisposeAsync.
        _ = _inner.StopAsync(TimeSpan.MaxValue, _endDrain.Token);
        return ValueTask.CompletedTask;
    }

    public async ValueTask DisposeAsync()
    {
        _accepted.Writer.TryComplete();
        _endDrain.Cancel();
        // Connections never taken by Kestrel, and any still open, are closed by the inner server's stop.
        await _inner.StopAsync(TimeSpan.Zero).ConfigureAwait(false);
    }
}
