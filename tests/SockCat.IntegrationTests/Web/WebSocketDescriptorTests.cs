using System.IO.Pipes;
using System.Net.WebSockets;
using System.Text;
using SockCat.Server;
using SockCat.Web;

namespace SockCat.IntegrationTests.Web;

/// <summary>
/// <see cref="WebSocketSession.TryAttachDescriptor"/>: on the epoll loop a pipe's bytes become messages written on the
/// connection's thread, in order, and a close sent after the end follows them; on Kestrel's sockets and under TLS the
/// WebSocket has no such thread and says so, leaving the pipe to the caller.
/// </summary>
public class WebSocketDescriptorTests
{
    [Theory]
    [InlineData(ServerTransport.Epoll, "ws://127.0.0.1:0/", true)]
    [InlineData(ServerTransport.KestrelEpoll, "ws://127.0.0.1:0/", true)]
    [InlineData(ServerTransport.Kestrel, "ws://127.0.0.1:0/", false)]
    [InlineData(ServerTransport.Epoll, "wss://127.0.0.1:0/", false)]
    public async Task PipeAttached_ItsLinesAsMessagesInOrder_CloseAfterTheLast_OrRefusedWithoutALoop(ServerTransport transport, string url, bool onLoop)
    {
        using var pipe = new AnonymousPipeServerStream(PipeDirection.Out);
        var attached = new TaskCompletionSource<bool>(TaskCreationOptions.RunContinuationsAsynchronously);
        await using var server = await WebTestServer.StartAsync(
            o => o.Transport = transport,
            (routes, listener) => routes.MapWebSocketMessages(listener.Path, _ => new Handler(pipe, attached)),
            url);
        using var client = await server.ConnectAsync();
        Assert.Equal(onLoop, await attached.Task.WaitAsync(TimeSpan.FromSeconds(30)));
        if (!onLoop)
        {
            return;
        }

        // Written in pieces that cut lines (and a UTF-8 sequence) apart: each line still comes as one message.
        var text = string.Concat(Enumerable.Range(0, 300).Select(i => $"line {i} é\n"));
        var bytes = Encoding.UTF8.GetBytes(text);
        for (var at = 0; at < bytes.Length; at += 1000)
        {
            pipe.Write(bytes, at, Math.Min(1000, bytes.Length - at));
        }

        pipe.Dispose();   // end of file: the handler closes the WebSocket, after the last line
        for (var i = 0; i < 300; i++)
        {
            var (type, payload) = await WebSocketEchoTests.ReceiveMessageAsync(client);
            Assert.Equal(WebSocketMessageType.Text, type);
            Assert.Equal($"line {i} é", Encoding.UTF8.GetString(payload));
        }

        var (last, _) = await WebSocketEchoTests.ReceiveMessageAsync(client);
        Assert.Equal(WebSocketMessageType.Close, last);
        Assert.Equal("the pipe ended", client.CloseStatusDescription);
    }

    [Fact]
    public async Task PingsEvery5ms_WhileLinesStreamFromThePipe_EveryFrameWhole()
    {
        // ASP.NET Core's pings go through Kestrel's pipe to the loop while the pipe's frames are written on it: both
        // must reach the peer whole (a frame cut by another would fail the client's parse), the lines in order.
        using var pipe = new AnonymousPipeServerStream(PipeDirection.Out);
        var attached = new TaskCompletionSource<bool>(TaskCreationOptions.RunContinuationsAsynchronously);
        await using var server = await WebTestServer.StartAsync(
            o =>
            {
                o.Transport = ServerTransport.Epoll;
                o.Web.KeepAliveInterval = TimeSpan.FromMilliseconds(5);
            },
            (routes, listener) => routes.MapWebSocketMessages(listener.Path, _ => new Handler(pipe, attached)));
        using var client = await server.ConnectAsync();
        Assert.True(await attached.Task.WaitAsync(TimeSpan.FromSeconds(30)));
        var writer = Task.Run(async () =>
        {
            for (var i = 0; i < 20_000; i++)
            {
                var line = Encoding.UTF8.GetBytes($"line {i} é\n");
                await pipe.WriteAsync(line);
                if (i % 500 == 0)
                {
                    await Task.Delay(10);   // so that pings fall between reads as well as beside them
                }
            }

            pipe.Dispose();
        });
        for (var i = 0; i < 20_000; i++)
        {
            var (type, payload) = await WebSocketEchoTests.ReceiveMessageAsync(client);
            Assert.Equal(WebSocketMessageType.Text, type);
            Assert.Equal($"line {i} é", Encoding.UTF8.GetString(payload));
        }

        await writer;
        var (last, _) = await WebSocketEchoTests.ReceiveMessageAsync(client);
        Assert.Equal(WebSocketMessageType.Close, last);
        Assert.Equal("the pipe ended", client.CloseStatusDescription);
    }

    /// <summary>Attaches the pipe's read end when the WebSocket opens; one text message per line; closes at its end.</summary>
    private sealed class Handler(AnonymousPipeServerStream pipe, TaskCompletionSource<bool> attached) : IWebSocketMessageHandler, IWebSocketDescriptorHandler
    {
        private readonly Decoder _utf8 = Encoding.UTF8.GetDecoder();
        private readonly StringBuilder _line = new();

        public ValueTask OnOpenedAsync(WebSocketSession session)
        {
            var reader = new AnonymousPipeClientStream(PipeDirection.In, pipe.ClientSafePipeHandle);
            attached.TrySetResult(session.TryAttachDescriptor(reader.SafePipeHandle, this));
            return ValueTask.CompletedTask;
        }

        public ValueTask OnMessageAsync(WebSocketSession session, WebSocketMessage message) => ValueTask.CompletedTask;

        public ValueTask OnClosedAsync(WebSocketSession session, string? reason) => ValueTask.CompletedTask;

        public void OnData(WebSocketMessageWriter messages, ReadOnlySpan<byte> data)
        {
            var chars = new char[data.Length + 4];
            var n = _utf8.GetChars(data, chars, flush: false);
            foreach (var c in chars[..n])
            {
                if (c != '\n')
                {
                    _line.Append(c);
                    continue;
                }

                Assert.True(messages.WriteText(_line.ToString()));
                _line.Clear();
            }
        }

        public void OnEnded(WebSocketMessageWriter messages, string? error)
        {
            messages.Session.Close(WebSocketCloseStatus.NormalClosure, error ?? "the pipe ended");
            Assert.False(messages.WriteText("after the close"));
        }
    }
}
