using Microsoft.AspNetCore.Connections;

namespace SockCat.Server.Hosting;

/// <summary>
/// Hosts a sans-IO protocol on a Kestrel connection: reads the pipe, hands the protocol contiguous spans, writes its
/// output to the pipe, and keeps the registry and the log lines as the epoll loop does. Admission (the accept filter
/// and the connection limit) already happened before TLS, in <see cref="KestrelTransport"/>.
/// On Kestrel's socket transport completing a handler's output closes both directions (aspnetcore#14937), so a
/// protocol's half-close takes effect once its input has ended; a protocol that half-closes earlier keeps its peer
/// waiting for the FIN until the peer ends its side. On the engine's loop (tcp, unix and tls) the half-close is the
/// transport's own (<see cref="IConnectionHalfCloseFeature"/>) and takes effect at once.
/// </summary>
internal sealed class ProtocolConnectionHandler(ServerHost host, ListenerBinding binding) : ConnectionHandler
{
    public override async Task OnConnectedAsync(ConnectionContext context)
    {
        if (context.Items.ContainsKey(KestrelTransport.FullKey))
        {
            await context.Transport.Output.WriteAsync(host.ServerFullMessage).ConfigureAwait(false);
            return;
        }

        var count = (int)context.Items[KestrelTransport.CountKey]!;
        var connection = new KestrelConnection(context, host, binding, host.Registry.NextId());
        context.Items[KestrelTransport.ConnectionKey] = connection;
        host.Opened(connection, count);
        string? error = null;
        try
        {
            await connection.CallAsync(static (c, _) =>
            {
                c.Protocol = c.CreateProtocol();
                c.Protocol.OnConnected(c);
                return 0;
            }, 0);
            error = await ReadLoopAsync(connection, context);
            // Kestrel's ConnectionClosed fires on the peer's FIN; a relay still carries the target's answer after it, and
            // ends the connection itself (Finished) when the target is done or a write fails.
            var closed = connection.Protocol is Relay.StreamRelay ? CancellationToken.None : context.ConnectionClosed;
            await connection.Finished.WaitAsync(closed).ConfigureAwait(false);
        }
        catch (Exception ex) when (ex is OperationCanceledException or IOException or ConnectionAbortedException)
        {
            if (ex is not OperationCanceledException || !connection.EndedBothWays)
            {
                error ??= ex.Message;
            }
        }
        finally
        {
            connection.MarkClosed();
            var imposed = connection.CloseImposed && connection.CloseReason is not null;
            var reason = imposed ? connection.CloseReason : error;
            host.Closed(connection, reason, imposed);
            // Under the gate, so that it cannot overlap a call still finishing on another thread (a posted callback).
            await connection.CallClosedAsync(reason).ConfigureAwait(false);
        }
    }

    // At most this many new bytes per call, as the epoll loop's receive buffer: a reply to one call then stays within
    // the outbound bound even when Kestrel has buffered a megabyte while the last flush waited.
    private const int Chunk = 64 * 1024;

    private static void Observe(KestrelConnection connection, System.Buffers.ReadOnlySequence<byte> received)
    {
        var offset = connection.BytesReceived;
        foreach (var segment in received)
        {
            connection.ObserveTraffic(Streams.TrafficDirection.Received, offset, segment.Span);
            offset += segment.Length;
        }
    }

    private async Task<string?> ReadLoopAsync(KestrelConnection connection, ConnectionContext context)
    {
        var input = context.Transport.Input;
        long held = 0; // bytes at the front of the buffer the protocol has seen and left unconsumed
        while (!connection.Finished.IsCompleted)
        {
            await connection.WaitResumedAsync().ConfigureAwait(false);
            var result = await input.ReadAsync().ConfigureAwait(false);
            var buffer = result.Buffer;
            var presented = buffer;
            long consumed = 0;
            if (buffer.Length > held)
            {
                presented = buffer.Length - held > Chunk ? buffer.Slice(0, held + Chunk) : buffer;
                if (host.Traffic is not null)
                {
                    Observe(connection, presented.Slice(held));
                }

                connection.BytesReceived += presented.Length - held;
                connection.LastActivity = Environment.TickCount64;
                consumed = await connection.CallAsync(static (c, b) => KestrelConnection.Deliver(c, b), presented);
                consumed = Math.Clamp(consumed, 0, presented.Length);
                // Backpressure: no more input while the reply waits for a peer that is not reading.
                await connection.WaitFlushedAsync().ConfigureAwait(false);
            }

            var all = presented.Length == buffer.Length;
            if (result.IsCompleted && all && !connection.Finished.IsCompleted)
            {
                var rest = System.Buffers.BuffersExtensions.ToArray(buffer.Slice(consumed));
                connection.MarkInputEnded();
                await connection.CallAsync(static (c, r) =>
                {
                    c.Protocol!.OnInputEnded(c, r);
                    return 0;
                }, rest);
                input.AdvanceTo(buffer.End);
                return null;
            }

            // Before AdvanceTo: afterwards the sequence's segments may be back in the pool and its Length meaningless.
            held = presented.Length - consumed;
            input.AdvanceTo(buffer.GetPosition(consumed), presented.End);
            if (held > host.Options.MaxInputBufferBytes)
            {
                connection.Abort($"over {host.Options.MaxInputBufferBytes} bytes of unconsumed input");
                await connection.CallAsync(static (_, _) => 0, 0);
            }

            if (result.IsCanceled || (result.IsCompleted && all))
            {
                break;
            }
        }

        return null;
    }
}
