using System.Net.WebSockets;
using System.Text;
using Microsoft.AspNetCore.Routing;
using SockCat.Endpoints;
using SockCat.Server;
using SockCat.Web;

namespace SockCat.IntegrationTests.Web;

/// <summary>
/// <see cref="WebSocketConnection"/>, the posting contract over a WebSocket: callbacks from any thread run one at a time
/// and in order, each call's output is one message, a closed connection hands posted state back, and a connection
/// outlives a dropped WebSocket for its resume window (output held, then sent on the next one, or cut over the bound).
/// </summary>
public sealed class WebSocketConnectionTests
{
    private static readonly TimeSpan Deadline = TimeSpan.FromSeconds(30);

    /// <summary>The server side: the first WebSocket makes the connection, later ones are attached to it (a resume).</summary>
    private sealed class Probe(TimeSpan resumeWindow)
    {
        public TimeSpan ResumeWindow { get; } = resumeWindow;

        /// <summary>What a resuming WebSocket asks to be replayed from; null: what was held.</summary>
        public long? ReplayFrom { get; set; }

        public TaskCompletionSource<WebSocketConnection> Made { get; } = new(TaskCreationOptions.RunContinuationsAsynchronously);

        public TaskCompletionSource<string?> Closed { get; } = new(TaskCreationOptions.RunContinuationsAsynchronously);

        public TaskCompletionSource Attached { get; } = new(TaskCreationOptions.RunContinuationsAsynchronously);

        public void Map(IEndpointRouteBuilder routes, EndpointUrl listener) =>
            routes.MapWebSocketMessages(listener.Path, _ => new Handler(this, listener));

        private sealed class Handler(Probe probe, EndpointUrl listener) : IWebSocketMessageHandler
        {
            public ValueTask OnOpenedAsync(WebSocketSession session)
            {
                if (probe.Made.Task.IsCompleted)
                {
                    Assert.True(probe.Made.Task.Result.Attach(session, probe.ReplayFrom));
                    probe.Attached.TrySetResult();
                }
                else
                {
                    probe.Made.TrySetResult(new WebSocketConnection(session, listener, probe.ResumeWindow, (_, reason) => probe.Closed.TrySetResult(reason)));
                }

                return ValueTask.CompletedTask;
            }

            // "a|b" is written as two messages in one call; anything else comes back as one.
            public ValueTask OnMessageAsync(WebSocketSession session, WebSocketMessage message)
            {
                var text = message.GetText();
                probe.Made.Task.Result.Run(static (c, s) =>
                {
                    var parts = ((string)s!).Split('|');
                    for (var i = 0; i < parts.Length; i++)
                    {
                        c.Write(Encoding.UTF8.GetBytes(parts[i]));
                        if (i < parts.Length - 1)
                        {
                            ((WebSocketConnection)c).FlushMessage();
                        }
                    }
                }, text);
                return ValueTask.CompletedTask;
            }
        }
    }

    private static async Task<(WebTestServer Server, Probe Probe)> StartAsync(TimeSpan resumeWindow, int maxSendQueueBytes = WebOptions.DefaultMaxSendQueueBytes)
    {
        var probe = new Probe(resumeWindow);
        var server = await WebTestServer.StartAsync(o => o.Web.MaxSendQueueBytes = maxSendQueueBytes, probe.Map);
        return (server, probe);
    }

    private static async Task<string> ReceiveTextAsync(WebSocket client)
    {
        var (type, payload) = await WebSocketEchoTests.ReceiveMessageAsync(client);
        Assert.Equal(WebSocketMessageType.Text, type);
        return Encoding.UTF8.GetString(payload);
    }

    private static Task SendTextAsync(WebSocket client, string text) =>
        client.SendAsync(Encoding.UTF8.GetBytes(text), WebSocketMessageType.Text, true, CancellationToken.None);

    /// <summary>Waits until the server has seen the WebSocket go and the connection is detached.</summary>
    private static async Task WaitDetachedAsync(WebSocketConnection connection)
    {
        var deadline = DateTime.UtcNow + Deadline;
        while (connection.Session is not null)
        {
            Assert.True(DateTime.UtcNow < deadline, "the connection never noticed its WebSocket had gone");
            await Task.Delay(10);
        }
    }

    [Fact]
    public async Task Posts_FromManyThreads_RunOneAtATimeInOrder_EachCallOneMessage()
    {
        var (server, probe) = await StartAsync(TimeSpan.Zero);
        await using var _ = server;
        using var client = await server.ConnectAsync();
        var connection = await probe.Made.Task.WaitAsync(Deadline);
        var running = 0;
        var overlapped = false;

        const int threads = 4, each = 250;
        await Task.WhenAll(Enumerable.Range(0, threads).Select(t => Task.Run(() =>
        {
            for (var i = 0; i < each; i++)
            {
                Assert.True(connection.Post((c, s) =>
                {
                    overlapped |= Interlocked.Increment(ref running) != 1;
                    c.Write(Encoding.UTF8.GetBytes((string)s!));
                    Interlocked.Decrement(ref running);
                }, $"{t}:{i}"));
            }
        })));

        var next = new int[threads];
        for (var n = 0; n < threads * each; n++)
        {
            var parts = (await ReceiveTextAsync(client)).Split(':');
            var thread = int.Parse(parts[0]);
            Assert.Equal(next[thread]++, int.Parse(parts[1]));
        }

        Assert.False(overlapped);
        Assert.All(next, count => Assert.Equal(each, count));
    }

    [Fact]
    public async Task Run_FlushMessage_SplitsOneCallsOutputIntoMessages()
    {
        var (server, probe) = await StartAsync(TimeSpan.Zero);
        await using var _ = server;
        using var client = await server.ConnectAsync();

        await SendTextAsync(client, "first|second|third");

        Assert.Equal("first", await ReceiveTextAsync(client));
        Assert.Equal("second", await ReceiveTextAsync(client));
        Assert.Equal("third", await ReceiveTextAsync(client));
        Assert.Equal("127.0.0.1", ((System.Net.IPEndPoint)(await probe.Made.Task).RemoteEndPoint!).Address.ToString());
    }

    [Fact]
    public async Task Post_AfterTheWebSocketClosed_HandsTheStateToDropped()
    {
        var (server, probe) = await StartAsync(TimeSpan.Zero);
        await using var _ = server;
        var client = await server.ConnectAsync();
        var connection = await probe.Made.Task.WaitAsync(Deadline);

        await client.CloseAsync(WebSocketCloseStatus.NormalClosure, "bye", CancellationToken.None);
        Assert.Null(await probe.Closed.Task.WaitAsync(Deadline));
        var deadline = DateTime.UtcNow + Deadline;
        while (!connection.IsClosed)
        {
            Assert.True(DateTime.UtcNow < deadline, "posts were still taken long after the closed callback");
            await Task.Delay(10);
        }

        object? handedBack = null;
        var state = new object();
        Assert.False(connection.Post((_, _) => Assert.Fail("ran after close"), state, s => handedBack = s));
        Assert.Same(state, handedBack);
        Assert.True(connection.IsClosed);
        client.Dispose();
    }

    [Fact]
    public async Task Resume_ANewWebSocketWithinTheWindow_GetsTheOutputHeldMeanwhileInOrder()
    {
        var (server, probe) = await StartAsync(TimeSpan.FromMinutes(5));
        await using var _ = server;
        var first = await server.ConnectAsync();
        var connection = await probe.Made.Task.WaitAsync(Deadline);

        first.Abort();
        await WaitDetachedAsync(connection);
        for (var i = 1; i <= 3; i++)
        {
            Assert.True(connection.Post((c, s) => c.Write(Encoding.UTF8.GetBytes($"held {s}")), i));
        }

        using var second = await server.ConnectAsync();
        await probe.Attached.Task.WaitAsync(Deadline);

        Assert.Equal("held 1", await ReceiveTextAsync(second));
        Assert.Equal("held 2", await ReceiveTextAsync(second));
        Assert.Equal("held 3", await ReceiveTextAsync(second));
        await SendTextAsync(second, "still the same connection");
        Assert.Equal("still the same connection", await ReceiveTextAsync(second));
        Assert.False(probe.Closed.Task.IsCompleted);
        first.Dispose();
    }

    [Fact]
    public async Task Resume_FromTheCountThePeerHad_ReplaysWhatWentIntoTheDeadWebSocketToo()
    {
        var (server, probe) = await StartAsync(TimeSpan.FromMinutes(5));
        await using var _ = server;
        var first = await server.ConnectAsync();
        var connection = await probe.Made.Task.WaitAsync(Deadline);
        for (var i = 0; i < 3; i++)
        {
            connection.Post((c, s) => c.Write(Encoding.UTF8.GetBytes($"m{s}")), i);
        }

        Assert.Equal("m0", await ReceiveTextAsync(first));
        first.Abort();
        await WaitDetachedAsync(connection);
        connection.Post((c, _) => c.Write("m3"u8), null);
        Assert.True(connection.CanReplayFrom(1));
        Assert.False(connection.CanReplayFrom(5));

        probe.ReplayFrom = 1;
        using var second = await server.ConnectAsync();
        await probe.Attached.Task.WaitAsync(Deadline);

        Assert.Equal("m1", await ReceiveTextAsync(second));
        Assert.Equal("m2", await ReceiveTextAsync(second));
        Assert.Equal("m3", await ReceiveTextAsync(second));
        Assert.Equal(4, connection.NextMessageIndex);
        first.Dispose();
    }

    [Fact]
    public async Task ResumeWindowPasses_WithNoNewWebSocket_ConnectionClosedWithTheReason()
    {
        var (server, probe) = await StartAsync(TimeSpan.FromMilliseconds(200));
        await using var _ = server;
        var client = await server.ConnectAsync();
        var connection = await probe.Made.Task.WaitAsync(Deadline);

        client.Abort();

        var reason = await probe.Closed.Task.WaitAsync(Deadline);
        Assert.StartsWith("no WebSocket came back within 0.2 s", reason);
        Assert.False(connection.WasCutAsSlowConsumer);
        client.Dispose();
    }

    [Fact]
    public async Task Detached_HeldOutputOverTheSendQueueBound_CutAsSlowConsumer()
    {
        var (server, probe) = await StartAsync(TimeSpan.FromMinutes(5), maxSendQueueBytes: 4096);
        await using var _ = server;
        var client = await server.ConnectAsync();
        var connection = await probe.Made.Task.WaitAsync(Deadline);
        client.Abort();
        await WaitDetachedAsync(connection);

        var chunk = new string('x', 1500);
        for (var i = 0; i < 4; i++)
        {
            connection.Post((c, s) => c.Write(Encoding.UTF8.GetBytes((string)s!)), chunk);
        }

        var reason = await probe.Closed.Task.WaitAsync(Deadline);
        Assert.Contains("slow consumer: 3000 bytes held while no WebSocket was attached and 1500 more, over the 4096-byte send queue bound", reason);
        Assert.True(connection.WasCutAsSlowConsumer);
        client.Dispose();
    }
}
