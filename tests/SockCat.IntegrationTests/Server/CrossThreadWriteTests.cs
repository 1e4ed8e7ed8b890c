using System.Security.Cryptography;
using SockCat.Server;
using SockCat.Testing;

namespace SockCat.IntegrationTests.Server;

/// <summary>
/// Reaching a connection from off its thread: posted callbacks whose connection is gone hand their state back, fan-out
/// to a peer that does not read is cut by the slow-consumer rule, and a producer writing with backpressure waits, its
/// bytes bounded, instead of being cut. Every transport.
/// </summary>
public sealed class CrossThreadWriteTests
{
    private static readonly TimeSpan Timeout = TimeSpan.FromSeconds(30);

    [Theory]
    [MemberData(nameof(TransportMatrix.All), MemberType = typeof(TransportMatrix))]
    public async Task Post_ConnectionAlreadyClosed_ReturnsFalseAndHandsStateBack(TestTransport transport)
    {
        var probe = new ProbeProtocol();
        await using var server = await LoopbackServer.StartAsync(transport, _ => probe);
        var client = await server.ConnectAsync();
        var connection = await probe.Connected.Task.WaitAsync(Timeout);
        await client.DisposeAsync();
        await probe.Closed.Task.WaitAsync(Timeout);

        var state = new object();
        object? handedBack = null;
        var ran = false;
        var posted = connection.Post((_, _) => ran = true, state, s => handedBack = s);

        Assert.False(posted);
        Assert.Same(state, handedBack);
        Assert.False(ran);
    }

    [Theory]
    [MemberData(nameof(TransportMatrix.All), MemberType = typeof(TransportMatrix))]
    public async Task Post_ConnectionClosesBeforeCallbackRuns_HandsStateBack(TestTransport transport)
    {
        // Posted from within a call, then the connection is aborted by that same call: the callback is queued behind a
        // close and must come back through dropped (before, it was silently lost).
        var state = new object();
        var ran = 0;
        var handedBack = new TaskCompletionSource<object?>(TaskCreationOptions.RunContinuationsAsynchronously);
        var probe = new ProbeProtocol((connection, _) =>
        {
            Assert.True(connection.Post((_, _) => Interlocked.Increment(ref ran), state, s => handedBack.TrySetResult(s)));
            connection.Abort("closed before the post runs");
        });
        await using var server = await LoopbackServer.StartAsync(transport, _ => probe);
        await using var client = await server.ConnectAsync();

        await client.Stream.WriteAsync(new byte[] { 1 });

        Assert.Same(state, await handedBack.Task.WaitAsync(Timeout));
        Assert.Equal(0, Volatile.Read(ref ran));
    }

    [Theory]
    [MemberData(nameof(TransportMatrix.All), MemberType = typeof(TransportMatrix))]
    public async Task Post_FanOutToPeerThatDoesNotRead_CutAsSlowConsumerLoggedToldAndEveryStateHandedBack(TestTransport transport)
    {
        // 4096 posts of 16 KiB (64 MiB) from another thread, as a chat room's fan-out, to a client that never reads.
        const int posts = 4096;
        var block = new byte[16 * 1024];
        var probe = new ProbeProtocol();
        await using var server = await LoopbackServer.StartAsync(transport, _ => probe);
        await using var client = await server.ConnectAsync();
        var connection = await probe.Connected.Task.WaitAsync(Timeout);
        int ran = 0, dropped = 0;

        await Task.Run(() =>
        {
            for (var i = 0; i < posts; i++)
            {
                connection.Post((c, _) =>
                {
                    c.Write(block);
                    Interlocked.Increment(ref ran);
                }, null, _ => Interlocked.Increment(ref dropped));
            }
        });

        Assert.Equal(2 * ServerOptions.DefaultMaxOutputQueueBytes, await probe.SlowConsumer.Task.WaitAsync(Timeout));
        Assert.StartsWith("slow consumer: over 524288 bytes queued", await probe.Closed.Task.WaitAsync(Timeout));
        await Settling.WaitUntilAsync(() => Volatile.Read(ref ran) + Volatile.Read(ref dropped) == posts, "every post to run or be handed back");
        Assert.InRange(Volatile.Read(ref dropped), 1, posts);
        Assert.Contains(server.Logs.Lines, l => l.EventName == "SlowConsumer"
            && l.Message.EndsWith("slow consumer, over 524288 bytes queued for a peer that is not reading", StringComparison.Ordinal));
        Assert.True(await client.EndsWithinAsync(Timeout));
    }

    [Theory]
    [MemberData(nameof(TransportMatrix.All), MemberType = typeof(TransportMatrix))]
    public async Task Post_SmallWritesOneAtATimeToPeerThatDoesNotRead_CutOnceQueuedPassesTheLimit_AReaderGoesOn(TestTransport transport)
    {
        // As chat's fan-out: one short line per post, each post run before the next is made, to a stalled peer and to a
        // reading one. 16 MiB in all: far past loopback's socket buffers, so a stalled peer that is never cut is seen.
        const int lines = 32 * 1024;
        var line = new byte[512];
        line[^1] = (byte)'\n';
        var stalledProbe = new ProbeProtocol();
        var readerProbe = new ProbeProtocol();
        var probes = new Queue<ProbeProtocol>([stalledProbe, readerProbe]);
        await using var server = await LoopbackServer.StartAsync(transport, _ => probes.Dequeue(), o => o.MaxOutputQueueBytes = 16 * 1024);
        await using var stalledClient = await server.ConnectAsync();
        stalledClient.Socket.ReceiveBufferSize = 4096;
        var stalled = await stalledProbe.Connected.Task.WaitAsync(Timeout);
        await using var readerClient = await server.ConnectAsync();
        var reader = await readerProbe.Connected.Task.WaitAsync(Timeout);
        // Paced by the reader, as a chat room is by its readers: each line read before the next is posted.
        var sent = lines;
        for (var n = 0; n < lines && sent == lines; n++)
        {
            var ran = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
            Assert.True(reader.Post((c, _) => c.Write(line), null, null));
            if (!stalled.Post((c, _) => { c.Write(line); ran.TrySetResult(); }, null, _ => ran.TrySetResult()))
            {
                sent = n;
            }

            await ran.Task.WaitAsync(Timeout);
            Assert.Equal(line, await readerClient.ReadExactlyAsync(line.Length, Timeout));
            if (stalledProbe.Closed.Task.IsCompleted)
            {
                sent = n + 1;
            }
        }

        Assert.True(sent < lines, $"the stalled peer was never cut ({lines} lines of {line.Length} bytes posted to it)");
        Assert.Equal(32 * 1024, await stalledProbe.SlowConsumer.Task.WaitAsync(Timeout));
        Assert.StartsWith("slow consumer: over 32768 bytes queued", await stalledProbe.Closed.Task.WaitAsync(Timeout));
        Assert.Contains(server.Logs.Lines, l => l.EventName == "SlowConsumer"
            && l.Message.EndsWith("slow consumer, over 32768 bytes queued for a peer that is not reading", StringComparison.Ordinal));
        Assert.True(await stalledClient.EndsWithinAsync(Timeout));

        // The reader on the same server goes on after the cut.
        Assert.True(reader.Post((c, _) => c.Write(line), null, null));
        Assert.Equal(line, await readerClient.ReadExactlyAsync(line.Length, Timeout));
        Assert.False(readerProbe.Closed.Task.IsCompleted);
    }

    [Theory]
    [MemberData(nameof(TransportMatrix.All), MemberType = typeof(TransportMatrix))]
    public async Task WriteAsync_FastProducerPeerDoesNotRead_WaitsWithQueueBoundedThenDeliversEverything(TestTransport transport)
    {
        // 32 MiB: more than loopback's socket buffers hold, so a producer that is not held back would finish unread.
        const int chunk = 64 * 1024;
        var data = RandomNumberGenerator.GetBytes(32 * 1024 * 1024);
        var probe = new ProbeProtocol();
        await using var server = await LoopbackServer.StartAsync(transport, _ => probe);
        await using var client = await server.ConnectAsync();
        var connection = await probe.Connected.Task.WaitAsync(Timeout);
        long produced = 0;

        var producing = Task.Run(async () =>
        {
            for (var offset = 0; offset < data.Length; offset += chunk)
            {
                if (!await connection.WriteAsync(data.AsMemory(offset, chunk)))
                {
                    return false;
                }

                Interlocked.Add(ref produced, chunk);
            }

            return true;
        });

        await Settling.WaitUntilStableAsync(() => Interlocked.Read(ref produced), "The producer was never held back.");
        Assert.False(producing.IsCompleted);
        Assert.InRange(Interlocked.Read(ref produced), 1, 16 * 1024 * 1024);
        Assert.InRange(connection.PendingOutputBytes, 0, 2 * ServerOptions.DefaultMaxOutputQueueBytes);

        var received = await client.ReadExactlyAsync(data.Length, Timeout);
        Assert.True(await producing.WaitAsync(Timeout));
        Assert.Equal(SHA256.HashData(data), SHA256.HashData(received));
        Assert.False(probe.SlowConsumer.Task.IsCompleted);
    }

    [Theory]
    [MemberData(nameof(TransportMatrix.All), MemberType = typeof(TransportMatrix))]
    public async Task WriteAsync_TwoProducersAtOnce_EachOnesBytesArriveWhole(TestTransport transport)
    {
        // 4 MiB each: many chunks, and more than the queue's bound, so both producers wait for the peer in turn.
        const int size = 4 * 1024 * 1024;
        var a = Enumerable.Repeat((byte)'a', size).ToArray();
        var b = Enumerable.Repeat((byte)'b', size).ToArray();
        var probe = new ProbeProtocol();
        await using var server = await LoopbackServer.StartAsync(transport, _ => probe);
        await using var client = await server.ConnectAsync();
        var connection = await probe.Connected.Task.WaitAsync(Timeout);

        var writes = await Task.Run(() => new[] { connection.WriteAsync(a).AsTask(), connection.WriteAsync(b).AsTask() });
        var received = await client.ReadExactlyAsync(2 * size, Timeout);

        var results = await Task.WhenAll(writes).WaitAsync(Timeout);
        Assert.Equal(new[] { true, true }, results);
        Assert.Equal(a, received[..size]);
        Assert.Equal(b, received[size..]);
    }

    [Theory]
    [MemberData(nameof(TransportMatrix.All), MemberType = typeof(TransportMatrix))]
    public async Task WriteAsync_ConnectionClosed_ReturnsFalse(TestTransport transport)
    {
        var probe = new ProbeProtocol();
        await using var server = await LoopbackServer.StartAsync(transport, _ => probe);
        var client = await server.ConnectAsync();
        var connection = await probe.Connected.Task.WaitAsync(Timeout);
        Assert.True(await connection.WriteAsync("hello\n"u8.ToArray()).AsTask().WaitAsync(Timeout));
        Assert.Equal("hello\n"u8.ToArray(), await client.ReadExactlyAsync(6));

        await client.DisposeAsync();
        await probe.Closed.Task.WaitAsync(Timeout);

        Assert.False(await connection.WriteAsync("late\n"u8.ToArray()).AsTask().WaitAsync(Timeout));
    }

    [Theory]
    [MemberData(nameof(TransportMatrix.All), MemberType = typeof(TransportMatrix))]
    public async Task WriteAsync_CancelledWhileWaitingForThePeer_ThrowsAndTheConnectionServesOn(TestTransport transport)
    {
        const int chunk = 64 * 1024;
        var block = new byte[chunk];
        var probe = new ProbeProtocol();
        await using var server = await LoopbackServer.StartAsync(transport, _ => probe);
        await using var client = await server.ConnectAsync();
        var connection = await probe.Connected.Task.WaitAsync(Timeout);
        using var cancel = new CancellationTokenSource();
        long produced = 0;

        var producing = Task.Run(async () =>
        {
            while (true)
            {
                await connection.WriteAsync(block, cancel.Token);
                Interlocked.Add(ref produced, chunk);
            }
        });
        await Settling.WaitUntilStableAsync(() => Interlocked.Read(ref produced), "The producer was never held back.");
        cancel.Cancel();

        await Assert.ThrowsAnyAsync<OperationCanceledException>(() => producing.WaitAsync(Timeout));
        Assert.False(probe.Closed.Task.IsCompleted);
    }
}
