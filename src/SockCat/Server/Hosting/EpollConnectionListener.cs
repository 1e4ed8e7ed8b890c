using System.IO.Pipelines;
using System.Net;
using System.Threading.Channels;
using Microsoft.AspNetCore.Connections;
using Microsoft.Extensions.Logging.Abstractions;
using SockCat.Endpoints;
using SockCat.Server.Transport;

namespace SockCat.Server.Hosting;

/// <summary>
/// One Kestrel listener on the engine's epoll loop: an <see cref="EpollTransport"/> of its own (a host with no log and no
/// limits of its own) whose listener's protocol is <see cref="EpollBridgeConnection"/>, which turns each accepted
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

    private readonly EpollTransport _loops;
    private Task? _stopAccepting;
    private int _disposed;

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
        var inner = new ServerOptions
        {
            Transport = ServerTransport.Epoll,
            LoopCount = options.SingleClient ? 1 : options.LoopCount,
            MaxOutputQueueBytes = options.MaxOutputQueueBytes,
            SlowConsumerLimitBytes = options.SlowConsumerLimitBytes,
            // The bridge consumes all input; the limit is kept by the outer server's handler.
            MaxInputBufferBytes = options.MaxInputBufferBytes,
            ListenBacklog = options.ListenBacklog,
            BatchScheduling = options.BatchScheduling,
            AcceptGate = () => _accepted.Reader.Count < AcceptQueueCapacity / 2,
        };
        // Admission, the connection limit and the log lines are the outer server's, in Kestrel's pipeline.
        _loops = new EpollTransport(new ServerHost(inner, NullLogger.Instance, NullLoggerFactory.Instance, new ConnectionRegistry(), int.MaxValue));
    }

    /// <summary>The bound address (with the port the system chose for port 0).</summary>
    public EndPoint EndPoint { get; private set; } = new IPEndPoint(IPAddress.None, 0);

    internal int OutputBound { get; }

    internal PipeOptions InputPipeOptions { get; }

    internal PipeOptions OutputPipeOptions { get; }

    internal async Task BindAsync(EndpointUrl url, EndPoint endPoint, CancellationToken cancellationToken)
    {
        cancellationToken.ThrowIfCancellationRequested();
        var binding = new ListenerBinding(url, c => new EpollBridgeConnection(this, c));
        await Task.Run(() => _loops.Start([binding]), cancellationToken).ConfigureAwait(false);
        EndPoint = endPoint is IPEndPoint ip ? new IPEndPoint(ip.Address, binding.BoundUrl.Port) : endPoint;
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
        lock (_loops)
        {
            _stopAccepting ??= _loops.StopAcceptingAsync();
        }

        return ValueTask.CompletedTask;
    }

    public async ValueTask DisposeAsync()
    {
        _accepted.Writer.TryComplete();
        if (Interlocked.Exchange(ref _disposed, 1) != 0)
        {
            return;
        }

        Task? stopAccepting;
        lock (_loops)
        {
            stopAccepting = _stopAccepting;
        }

        if (stopAccepting is not null)
        {
            await stopAccepting.ConfigureAwait(false);
        }

        // Connections never taken by Kestrel, and any still open, are closed as the loops exit.
        await _loops.ExitAsync("server stopping").ConfigureAwait(false);
    }
}
