using Microsoft.AspNetCore.Connections;
using SockCat.Endpoints;

namespace SockCat.Server.Hosting;

/// <summary>
/// Hosts a sans-IO protocol on a Kestrel connection: reads the pipe, hands the protocol contiguous spans, writes its
/// output to the pipe, and keeps the registry and the log lines as the epoll loop does. Admission (the accept filter
/// and the connection limit) already happened before TLS, in <see cref="KestrelTransport"/>.
/// Kestrel closes both directions when a handler completes its output (aspnetcore#14937), so a protocol's half-close
/// takes effect once its input has ended; a protocol that half-closes earlier keeps its peer waiting for the FIN
/// until the peer ends its side.
/// </summary>
internal sealed class ProtocolConnectionHandler(SockCatServer server, EndpointUrl listener) : ConnectionHandler
{
    /// <summary>The listener's URL as bound (port 0 resolved), set once Kestrel has bound it.</summary>
    public EndpointUrl Listener { get; set; } = listener;

    public override async Task OnConnectedAsync(ConnectionContext context)
    {
        if (context.Items.ContainsKey(KestrelTransport.FullKey))
        {
            await context.Transport.Output.WriteAsync(server.ServerFullMessage).ConfigureAwait(false);
            return;
        }

        var count = (int)context.Items[KestrelTransport.CountKey]!;
        var connection = new KestrelConnection(context, server, server.Registry.NextId(), Listener);
        context.Items[KestrelTransport.ConnectionKey] = connection;
        server.Opened(connection, count);
        string? error = null;
        try
        {
            await connection.CallAsync(static (c, _) =>
            {
                c.Protocol = c.Server.CreateProtocol(c);
                c.Protocol.OnConnected(c);
                return 0;
            }, 0);
            error = await ReadLoopAsync(connection, context);
            await connection.Finished.WaitAsync(context.ConnectionClosed).ConfigureAwait(false);
        }
        catch (Exception ex) when (ex is OperationCanceledException or IOException or ConnectionAbortedException)
        {
            error ??= ex.Message;
        }
        finally
        {
            connection.MarkClosed();
            var imposed = connection.CloseImposed && connection.CloseReason is not null;
            server.Closed(connection, imposed ? connection.CloseReason : error, imposed);
            try
            {
                connection.Protocol?.OnClosed(connection, imposed ? connection.CloseReason : error);
            }
            catch (Exception ex)
            {
                ServerLog.ProtocolFailed(server.Logger, connection.Id, connection.Peer, ex);
            }
        }
    }

    // At most this many new bytes per call, as the epoll loop's receive buffer: a reply to one call then stays within
    // the outbound bound even when Kestrel has buffered a megabyte while the last flush waited.
    private const int Chunk = 64 * 1024;

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
                connection.BytesReceived += presented.Length - held;
                connection.LastActivity = Environment.TickCount64;
                consumed = await connection.CallAsync(static (c, b) => KestrelConnection.Deliver(c, b), presented);
                consumed = Math.Clamp(consumed, 0, presented.Length);
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
            if (held > server.Options.MaxInputBufferBytes)
            {
                connection.Abort($"over {server.Options.MaxInputBufferBytes} bytes of unconsumed input");
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
