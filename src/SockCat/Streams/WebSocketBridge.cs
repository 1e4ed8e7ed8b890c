using System.Net.WebSockets;

namespace SockCat.Streams;

/// <summary>
/// Joins a byte stream (stdin and stdout, say) to a WebSocket, as websocat does: lines become text messages (or reads
/// binary messages) and messages come out as lines. Nothing is held whole: a line longer than the buffer goes out as
/// several frames of one message, and a long message is written as its frames arrive.
/// </summary>
/// <remarks>
/// The input's end sends a normal close (1000) and waits for the server's; the server's close ends the bridge, since
/// no message can follow it, and a read pending on the input is cancelled through its token (an input that keeps such
/// a read, as the CLI's stdin does, loses nothing).
/// </remarks>
public static class WebSocketBridge
{
    /// <summary>Runs until both sides have closed, either side fails, or <paramref name="cancellationToken"/> fires.</summary>
    public static async Task<WebSocketBridgeResult> RunAsync(Stream input, Stream output, WebSocket socket, WebSocketBridgeOptions? options = null, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(input);
        ArgumentNullException.ThrowIfNull(output);
        ArgumentNullException.ThrowIfNull(socket);
        options ??= new WebSocketBridgeOptions();
        var run = new Run(input, output, socket, options);
        return await run.RunAsync(cancellationToken).ConfigureAwait(false);
    }

    private sealed class Run(Stream input, Stream output, WebSocket socket, WebSocketBridgeOptions options)
    {
        private readonly BridgeEnding _ending = new();
        private long _sent;
        private long _received;
        private long _messagesSent;
        private long _messagesReceived;
        private bool _inputEnded;
        private bool _peerEnded;

        public async Task<WebSocketBridgeResult> RunAsync(CancellationToken cancellationToken)
        {
            using var registration = _ending.EndOn(cancellationToken);
            var receive = ReceiveAsync();
            var send = SendAsync();
            var (outcome, error) = await _ending.Ended.ConfigureAwait(false);
            if (outcome != StreamBridgeOutcome.Completed && socket.State is WebSocketState.Open or WebSocketState.CloseReceived or WebSocketState.CloseSent)
            {
                socket.Abort();
            }

            BridgeEnding.Abandon(receive, send);
            var bridge = new StreamBridgeResult(outcome, Interlocked.Read(ref _sent), Interlocked.Read(ref _received), Volatile.Read(ref _inputEnded), Volatile.Read(ref _peerEnded), error);
            return new WebSocketBridgeResult(bridge, Interlocked.Read(ref _messagesSent), Interlocked.Read(ref _messagesReceived), socket.CloseStatus, socket.CloseStatusDescription);
        }

        private async Task SendAsync()
        {
            var buffer = new byte[options.BufferSize];
            var type = options.Binary ? WebSocketMessageType.Binary : WebSocketMessageType.Text;
            var open = false;   // a text message has frames out and no end yet
            try
            {
                while (true)
                {
                    int count;
                    try
                    {
                        count = await input.ReadAsync(buffer, _ending.Stop.Token).ConfigureAwait(false);
                    }
                    catch (OperationCanceledException) when (_ending.Stop.IsCancellationRequested)
                    {
                        return;
                    }
                    catch (Exception ex)
                    {
                        End(StreamBridgeOutcome.InputFailed, ex);
                        return;
                    }

                    if (count == 0)
                    {
                        break;
                    }

                    if (options.Binary)
                    {
                        await SendFrameAsync(buffer.AsMemory(0, count), type, endOfMessage: true).ConfigureAwait(false);
                        continue;
                    }

                    var chunk = buffer.AsMemory(0, count);
                    int newline;
                    while ((newline = chunk.Span.IndexOf((byte)'\n')) >= 0)
                    {
                        var line = chunk[..newline];
                        if (line.Length > 0 && line.Span[^1] == (byte)'\r')
                        {
                            line = line[..^1];
                        }

                        await SendFrameAsync(line, type, endOfMessage: true).ConfigureAwait(false);
                        open = false;
                        chunk = chunk[(newline + 1)..];
                    }

                    if (chunk.Length > 0)
                    {
                        await SendFrameAsync(chunk, type, endOfMessage: false).ConfigureAwait(false);
                        open = true;
                    }
                }

                if (open)
                {
                    // The last line had no newline: it is a message all the same.
                    await SendFrameAsync(ReadOnlyMemory<byte>.Empty, type, endOfMessage: true).ConfigureAwait(false);
                }

                Volatile.Write(ref _inputEnded, true);
                if (socket.State == WebSocketState.Open)
                {
                    await socket.CloseOutputAsync(WebSocketCloseStatus.NormalClosure, null, _ending.Stop.Token).ConfigureAwait(false);
                }

                if (Volatile.Read(ref _peerEnded))
                {
                    End(StreamBridgeOutcome.Completed);
                    return;
                }

                await Task.Delay(options.CloseTimeout, _ending.Stop.Token).ConfigureAwait(ConfigureAwaitOptions.SuppressThrowing);
                End(StreamBridgeOutcome.QuitAfterInputEnd);
            }
            catch (OperationCanceledException) when (_ending.Stop.IsCancellationRequested)
            {
            }
            catch (Exception ex)
            {
                End(StreamBridgeOutcome.PeerFailed, ex);
            }
        }

        private async ValueTask SendFrameAsync(ReadOnlyMemory<byte> data, WebSocketMessageType type, bool endOfMessage)
        {
            await socket.SendAsync(data, type, endOfMessage, _ending.Stop.Token).ConfigureAwait(false);
            Interlocked.Add(ref _sent, data.Length);
            if (endOfMessage)
            {
                Interlocked.Increment(ref _messagesSent);
            }
        }

        private async Task ReceiveAsync()
        {
            var buffer = new byte[options.BufferSize];
            try
            {
                while (true)
                {
                    var result = await socket.ReceiveAsync(buffer.AsMemory(), _ending.Stop.Token).ConfigureAwait(false);
                    if (result.MessageType == WebSocketMessageType.Close)
                    {
                        break;
                    }

                    Interlocked.Add(ref _received, result.Count);
                    try
                    {
                        await output.WriteAsync(buffer.AsMemory(0, result.Count), _ending.Stop.Token).ConfigureAwait(false);
                        if (result.EndOfMessage)
                        {
                            Interlocked.Increment(ref _messagesReceived);
                            if (!options.Binary)
                            {
                                await output.WriteAsync("\n"u8.ToArray(), _ending.Stop.Token).ConfigureAwait(false);
                            }

                            await output.FlushAsync(_ending.Stop.Token).ConfigureAwait(false);
                        }
                    }
                    catch (OperationCanceledException) when (_ending.Stop.IsCancellationRequested)
                    {
                        return;
                    }
                    catch (Exception ex)
                    {
                        End(StreamBridgeOutcome.OutputFailed, ex);
                        return;
                    }
                }

                Volatile.Write(ref _peerEnded, true);
                await output.FlushAsync(_ending.Stop.Token).ConfigureAwait(false);
                if (socket.State == WebSocketState.CloseReceived)
                {
                    // The server closed first: answer its close, then the bridge is over whatever the input has left.
                    await socket.CloseOutputAsync(socket.CloseStatus ?? WebSocketCloseStatus.NormalClosure, null, _ending.Stop.Token).ConfigureAwait(false);
                }

                End(StreamBridgeOutcome.Completed);
            }
            catch (OperationCanceledException) when (_ending.Stop.IsCancellationRequested)
            {
            }
            catch (Exception ex)
            {
                End(StreamBridgeOutcome.PeerFailed, ex);
            }
        }

        private void End(StreamBridgeOutcome outcome, Exception? error = null) => _ending.End(outcome, error);
    }
}
