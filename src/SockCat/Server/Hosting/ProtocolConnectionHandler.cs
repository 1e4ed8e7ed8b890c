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
    public override async Task OnConnectedAsync(ConnectionContext context)
    {
        var count = (int)context.Items[KestrelTransport.CountKey]!;
        var connection = new KestrelConnection(context, server, server.Registry.NextId(), listener);
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

    private async Task<string?> ReadLoopAsync(KestrelConnection connection, ConnectionContext context)
    {
        var input = context.Transport.Input;
        long held = 0;
        while (!connection.Finished.IsCompleted)
        {
            await connection.WaitResumedAsync().ConfigureAwait(false);
            var result = await input.ReadAsync().ConfigureAwait(false);
            var buffer = result.Buffer;
            long consumed = 0;
            if (buffer.Length > held)
            {
                connection.BytesReceived += buffer.Length - held;
                connection.LastActivity = Environment.TickCount64;
                consumed = await connection.CallAsync(static (c, b) => KestrelConnection.Deliver(c, b), buffer);
                consumed = Math.Clamp(consumed, 0, buffer.Length);
            }
            else
            {
                consumed = 0;
            }

            if (result.IsCompleted && !connection.Finished.IsCompleted)
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

            input.AdvanceTo(buffer.GetPosition(consumed), buffer.End);
            held = buffer.Length - consumed;
            if (held > server.Options.MaxInputBufferBytes)
            {
                connection.Abort($"over {server.Options.MaxInputBufferBytes} bytes of unconsumed input");
                await connection.CallAsync(static (_, _) => 0, 0);
            }

            if (result.IsCompleted || result.IsCanceled)
            {
                break;
            }
        }

        return null;
    }
}
