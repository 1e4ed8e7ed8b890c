using System.Buffers;
using System.Net.WebSockets;
using Microsoft.Extensions.Logging;
using SockCat.Client;
using SockCat.Endpoints;
using SockCat.Web;

namespace SockCat.Cli.Commands;

/// <summary>
/// <c>sockcat relay ws://… tcp://…</c>, websockify's job: each WebSocket accepted on FROM gets its own connection to TO;
/// a message's payload is written to TO (a text message with a newline added, unless --binary), and TO's bytes come back
/// as messages (each line a text message, or each read one binary message with --binary).
/// </summary>
internal sealed partial class WebSocketToStreamRelay(EndpointUrl target, ConnectOptions connect, bool binary, ILogger logger)
{
    private readonly EndpointUrl _target = target;
    private readonly ConnectOptions _connect = connect;
    private readonly bool _binary = binary;
    private readonly ILogger _logger = logger;

    public IWebSocketMessageHandler CreateHandler(WebSocketSession session) => new Handler(this);

    [LoggerMessage(62, LogLevel.Information, "WebSocket {SessionId} from {Peer}: cannot reach {Target}: {Reason}", EventName = "WebSocketRelayUnreachable")]
    private static partial void Unreachable(ILogger logger, long sessionId, string peer, string target, string reason);

    [LoggerMessage(63, LogLevel.Information,
        "Relayed WebSocket {SessionId} from {Peer} to {Target}: {Sent} to it, {Received} back",
        EventName = "WebSocketRelayed")]
    private static partial void Relayed(ILogger logger, long sessionId, string peer, string target, string sent, string received);

    private sealed class Handler(WebSocketToStreamRelay relay) : IWebSocketMessageHandler
    {
        private ClientConnection? _client;
        private Task _pump = Task.CompletedTask;
        private long _sent;
        private long _received;

        public async ValueTask OnOpenedAsync(WebSocketSession session)
        {
            try
            {
                _client = await SocketClient.ConnectAsync(relay._target, relay._connect, session.Ended).ConfigureAwait(false);
            }
            catch (ConnectException ex)
            {
                Unreachable(relay._logger, session.Id, session.Peer, relay._target.ToString(), ex.Message);
                session.Close(WebSocketCloseStatus.EndpointUnavailable, "cannot reach the target");
                return;
            }
            catch (OperationCanceledException)
            {
                return;
            }

            _pump = PumpAsync(session, _client);
        }

        public async ValueTask OnMessageAsync(WebSocketSession session, WebSocketMessage message)
        {
            if (_client is null)
            {
                return;
            }

            try
            {
                await _client.Stream.WriteAsync(message.Payload, session.Ended).ConfigureAwait(false);
                if (!relay._binary && message.IsText)
                {
                    await _client.Stream.WriteAsync("\n"u8.ToArray(), session.Ended).ConfigureAwait(false);
                    _sent++;
                }

                _sent += message.Payload.Length;
            }
            catch (Exception ex) when (ex is IOException or ObjectDisposedException or OperationCanceledException)
            {
                session.Close(WebSocketCloseStatus.EndpointUnavailable, "the target closed");
            }
        }

        public async ValueTask OnClosedAsync(WebSocketSession session, string? reason)
        {
            if (_client is null)
            {
                return;
            }

            _client.Dispose();
            await _pump.ConfigureAwait(false);
            Relayed(relay._logger, session.Id, session.Peer, relay._target.ToString(), Counted.Of(_sent, "byte"), Counted.Of(_received, "byte"));
        }

        /// <summary>TO's bytes to the WebSocket until TO ends; then the WebSocket is closed.</summary>
        private async Task PumpAsync(WebSocketSession session, ClientConnection client)
        {
            var buffer = ArrayPool<byte>.Shared.Rent(64 * 1024);
            var line = new ArrayBufferWriter<byte>();
            try
            {
                int n;
                while ((n = await client.Stream.ReadAsync(buffer, session.Ended).ConfigureAwait(false)) > 0)
                {
                    _received += n;
                    if (relay._binary)
                    {
                        if (!await session.SendAsync(WebSocketMessageType.Binary, buffer.AsMemory(0, n), session.Ended).ConfigureAwait(false))
                        {
                            return;
                        }

                        continue;
                    }

                    var chunk = buffer.AsMemory(0, n);
                    int newline;
                    while ((newline = chunk.Span.IndexOf((byte)'\n')) >= 0)
                    {
                        line.Write(chunk.Span[..newline]);
                        chunk = chunk[(newline + 1)..];
                        if (!await SendLineAsync(session, line).ConfigureAwait(false))
                        {
                            return;
                        }
                    }

                    line.Write(chunk.Span);
                }

                if (line.WrittenCount > 0)
                {
                    await SendLineAsync(session, line).ConfigureAwait(false);
                }

                session.Close();
            }
            catch (Exception ex) when (ex is IOException or ObjectDisposedException or OperationCanceledException)
            {
                session.Close();
            }
            finally
            {
                ArrayPool<byte>.Shared.Return(buffer);
            }
        }

        private static async ValueTask<bool> SendLineAsync(WebSocketSession session, ArrayBufferWriter<byte> line)
        {
            var text = line.WrittenMemory;
            if (text.Span is [.., (byte)'\r'])
            {
                text = text[..^1];
            }

            // SendAsync may hold the payload until sent; the line buffer is reused, so it goes as a copy.
            var sent = await session.SendAsync(WebSocketMessageType.Text, text.ToArray(), session.Ended).ConfigureAwait(false);
            line.ResetWrittenCount();
            return sent;
        }
    }
}
