using System.Globalization;
using System.Net.WebSockets;
using Microsoft.Extensions.Logging;
using SockCat.Client;
using SockCat.Client.WebSockets;
using SockCat.Endpoints;
using SockCat.Server;
using SockCat.Streams;

namespace SockCat.Cli.Commands;

/// <summary>
/// <c>sockcat relay tcp://… ws://…</c>: each accepted client gets its own outbound WebSocket, and
/// <see cref="WebSocketBridge"/> carries its bytes as messages and the messages back as bytes. The connection is seen as
/// a stream (<see cref="ConnectionStream"/>): one thread-pool hop per chunk each way, as the engine's own stream relay
/// does for tls:// targets; a WebSocket's framing costs more than the hop.
/// </summary>
internal sealed partial class WebSocketRelay(EndpointUrl target, WebSocketConnectOptions connect, bool binary, ILogger logger)
{
    public IConnectionProtocol CreateProtocol(IConnection connection) => new Forwarder(this);

    private async Task RunAsync(IConnection connection, ConnectionStream stream, CancellationToken stop)
    {
        var started = DateTime.UtcNow;
        ClientWebSocket socket;
        try
        {
            socket = await WebSocketClient.ConnectAsync(target, connect, stop).ConfigureAwait(false);
        }
        catch (ConnectException ex)
        {
            // The server's close line says why, in one line, as for a tcp:// target.
            connection.Post(static (c, s) => c.Close((string)s!), $"cannot reach {target}: {ex.Message}");
            return;
        }
        catch (OperationCanceledException)
        {
            return; // the client left first
        }

        using (socket)
        {
            WebSocketBridgeResult result;
            try
            {
                result = await WebSocketBridge.RunAsync(stream, stream, socket, new WebSocketBridgeOptions { Binary = binary }, stop).ConfigureAwait(false);
            }
            catch (OperationCanceledException)
            {
                return;
            }

            var closed = result.CloseStatus is { } status ? $" (closed with {(int)status})" : "";
            RelayEnded(logger, connection.Id, connection.RemoteEndPoint?.ToString() ?? "a unix socket", target.ToString(),
                Counted.Of(result.MessagesSent, "message"), Counted.Of(result.MessagesReceived, "message"), (DateTime.UtcNow - started).TotalSeconds.ToString("0.###", CultureInfo.InvariantCulture), closed);
            connection.Post(static (c, _) => c.Close(), null);
        }
    }

    [LoggerMessage(61, LogLevel.Information,
        "Relayed connection {ConnectionId} from {Peer} to {Target}: {MessagesSent} to it, {MessagesReceived} back, {Seconds} s{Ending}",
        EventName = "WebSocketRelayEnded")]
    private static partial void RelayEnded(ILogger logger, long connectionId, string peer, string target, string messagesSent, string messagesReceived, string seconds, string ending);

    /// <summary>One client: not read until the WebSocket is open; from then on read as the bridge asks for input.</summary>
    private sealed class Forwarder(WebSocketRelay relay) : IConnectionProtocol
    {
        private readonly CancellationTokenSource _stop = new();
        private ConnectionStream? _stream;

        public void OnConnected(IConnection connection)
        {
            connection.PauseReading();
            _stream = new ConnectionStream(connection);
            _ = relay.RunAsync(connection, _stream, _stop.Token);
        }

        public int OnReceived(IConnection connection, ReadOnlySpan<byte> data)
        {
            _stream!.Push(data);
            return data.Length;
        }

        public void OnInputEnded(IConnection connection, ReadOnlySpan<byte> unconsumed)
        {
            if (!unconsumed.IsEmpty)
            {
                _stream!.Push(unconsumed);
            }

            _stream!.End();
        }

        public void OnClosed(IConnection connection, string? reason)
        {
            _stream?.End();
            _stop.Cancel();
        }
    }
}
