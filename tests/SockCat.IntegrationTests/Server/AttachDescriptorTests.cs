using System.IO.Pipes;
using System.Security.Cryptography;
using Microsoft.Win32.SafeHandles;
using SockCat.Server;
using SockCat.Testing;

namespace SockCat.IntegrationTests.Server;

/// <summary>
/// A pipe read on its connection's own thread (<see cref="IConnection.AttachDescriptor"/>): its bytes reach the peer, a
/// peer that does not read holds the pipe's writer back with the connection's queue within its bound, and the pipe is
/// closed when it ends or the connection closes. On the transports with no loop of their own, the call says it is not
/// supported, and the caller reads the pipe itself.
/// </summary>
public sealed class AttachDescriptorTests
{
    private static readonly TimeSpan Timeout = TimeSpan.FromSeconds(30);

    public static TheoryData<TestTransport> Epoll => [TestTransport.EpollTcp, TestTransport.EpollUnix];

    public static TheoryData<TestTransport> NoLoop => [TestTransport.KestrelTcp, TestTransport.KestrelTls, TestTransport.KestrelEpollTcp, TestTransport.EpollTls];

    [Theory]
    [MemberData(nameof(Epoll))]
    public async Task AttachDescriptor_PipeWritten_BytesReachThePeerInOrderWithTheProtocolsOwn(TestTransport transport)
    {
        var probe = new ProbeProtocol();
        await using var server = await LoopbackServer.StartAsync(transport, _ => probe);
        await using var client = await server.ConnectAsync();
        var connection = await probe.Connected.Task.WaitAsync(Timeout);
        using var pipe = new AnonymousPipeServerStream(PipeDirection.Out);
        var handler = new ForwardingHandler();

        await AttachAsync(connection, pipe.ClientSafePipeHandle, handler, greeting: "first\n"u8.ToArray());
        await pipe.WriteAsync("from the pipe\n"u8.ToArray());

        Assert.Equal("first\nfrom the pipe\n"u8.ToArray(), await client.ReadExactlyAsync(20, Timeout));
        await pipe.WriteAsync("and more\n"u8.ToArray());
        Assert.Equal("and more\n"u8.ToArray(), await client.ReadExactlyAsync(9, Timeout));
    }

    [Theory]
    [MemberData(nameof(Epoll))]
    public async Task AttachDescriptor_PeerDoesNotRead_WriterHeldBackQueueWithinBound_NothingLostOnceItReads(TestTransport transport)
    {
        // 16 MiB through a 16 KiB queue bound to a peer that reads nothing at first: four times what the pipe, the queue and
        // the socket buffers hold (a 4 MiB send buffer at most here), so a pipe read on regardless would pass the
        // slow-consumer limit and be cut.
        const int total = 16 * 1024 * 1024;
        const int bound = 16 * 1024;
        var data = RandomNumberGenerator.GetBytes(total);
        var probe = new ProbeProtocol();
        await using var server = await LoopbackServer.StartAsync(transport, _ => probe, o => o.MaxOutputQueueBytes = bound);
        await using var client = await server.ConnectAsync();
        // Fixed (no autotuning, which lets loopback buffer 32 MiB), yet not under an MSS, which would crawl once it reads.
        client.Socket.ReceiveBufferSize = 64 * 1024;
        var connection = await probe.Connected.Task.WaitAsync(Timeout);
        using var pipe = new AnonymousPipeServerStream(PipeDirection.Out);
        var handler = new ForwardingHandler();
        await AttachAsync(connection, pipe.ClientSafePipeHandle, handler);
        long written = 0;

        var writer = Task.Run(() =>
        {
            for (var at = 0; at < total; at += 4096)
            {
                pipe.Write(data, at, 4096);
                Interlocked.Add(ref written, 4096);
            }
        });
        await Settling.WaitUntilStableAsync(() => Interlocked.Read(ref written), "the pipe's writer to be held back");

        Assert.False(writer.IsCompleted, "the writer was never held back");
        Assert.False(probe.Closed.Task.IsCompleted, "the connection was cut");
        Assert.InRange(handler.MostPending, 1, 2 * bound);
        Assert.Equal(data, await client.ReadExactlyAsync(total, Timeout));
        await writer.WaitAsync(Timeout);
        Assert.InRange(handler.MostPending, 1, 2 * bound);
    }

    [Theory]
    [MemberData(nameof(Epoll))]
    public async Task AttachDescriptor_WriterCloses_EndedAtEndOfFileAndHandleClosed(TestTransport transport)
    {
        var probe = new ProbeProtocol();
        await using var server = await LoopbackServer.StartAsync(transport, _ => probe);
        await using var client = await server.ConnectAsync();
        var connection = await probe.Connected.Task.WaitAsync(Timeout);
        var pipe = new AnonymousPipeServerStream(PipeDirection.Out);
        var readEnd = pipe.ClientSafePipeHandle;
        var handler = new ForwardingHandler();
        await AttachAsync(connection, readEnd, handler);

        await pipe.WriteAsync("last\n"u8.ToArray());
        await pipe.DisposeAsync();

        Assert.Null(await handler.Ended.Task.WaitAsync(Timeout));
        Assert.Equal("last\n"u8.ToArray(), await client.ReadExactlyAsync(5, Timeout));
        Assert.True(readEnd.IsClosed);
        Assert.False(probe.Closed.Task.IsCompleted, "the connection closed with its pipe");
    }

    [Theory]
    [MemberData(nameof(Epoll))]
    public async Task AttachDescriptor_ConnectionCloses_PipeClosedAndUnwatched_WriterGetsBrokenPipe(TestTransport transport)
    {
        var probe = new ProbeProtocol();
        await using var server = await LoopbackServer.StartAsync(transport, _ => probe);
        var client = await server.ConnectAsync();
        var connection = await probe.Connected.Task.WaitAsync(Timeout);
        using var pipe = new AnonymousPipeServerStream(PipeDirection.Out);
        var readEnd = pipe.ClientSafePipeHandle;
        var handler = new ForwardingHandler();
        await AttachAsync(connection, readEnd, handler);
        // The owner lets go of its handle: the connection keeps the descriptor open until it is done with it.
        readEnd.Dispose();
        await pipe.WriteAsync("seen\n"u8.ToArray());
        Assert.Equal("seen\n"u8.ToArray(), await client.ReadExactlyAsync(5, Timeout));

        await client.DisposeAsync();

        Assert.Equal("connection closed", await handler.Ended.Task.WaitAsync(Timeout));
        await probe.Closed.Task.WaitAsync(Timeout);
        Assert.True(readEnd.IsClosed);
        // The read end is gone for good: the writer's next write fails instead of filling a pipe nobody reads.
        await Assert.ThrowsAsync<IOException>(async () => await pipe.WriteAsync("nobody\n"u8.ToArray()).AsTask().WaitAsync(Timeout));
    }

    [Theory]
    [MemberData(nameof(Epoll))]
    public async Task AttachDescriptor_PausedByTheProtocol_NotReadUntilResumed(TestTransport transport)
    {
        var probe = new ProbeProtocol();
        await using var server = await LoopbackServer.StartAsync(transport, _ => probe);
        await using var client = await server.ConnectAsync();
        var connection = await probe.Connected.Task.WaitAsync(Timeout);
        using var pipe = new AnonymousPipeServerStream(PipeDirection.Out);
        var handler = new ForwardingHandler();
        var attached = await AttachAsync(connection, pipe.ClientSafePipeHandle, handler);
        await RunOnAsync(connection, _ => attached.Pause());
        long written = 0;

        var writer = Task.Run(() =>
        {
            var block = new byte[4096];
            for (var i = 0; i < 1024; i++)
            {
                pipe.Write(block);
                Interlocked.Add(ref written, block.Length);
            }
        });
        await Settling.WaitUntilStableAsync(() => Interlocked.Read(ref written), "the pipe's writer to fill the paused pipe");

        Assert.Equal(0, handler.Received);
        await RunOnAsync(connection, _ => attached.Resume());
        Assert.Equal(4 * 1024 * 1024, (await client.ReadExactlyAsync(4 * 1024 * 1024, Timeout)).Length);
        await writer.WaitAsync(Timeout);
    }

    [Theory]
    [MemberData(nameof(NoLoop))]
    public async Task AttachDescriptor_TransportWithoutALoopOfItsOwn_NotSupported_PipeLeftToItsOwner(TestTransport transport)
    {
        var probe = new ProbeProtocol();
        await using var server = await LoopbackServer.StartAsync(transport, _ => probe);
        await using var client = await server.ConnectAsync();
        var connection = await probe.Connected.Task.WaitAsync(Timeout);
        using var pipe = new AnonymousPipeServerStream(PipeDirection.Out);
        Exception? thrown = null;

        await RunOnAsync(connection, c =>
        {
            try
            {
                c.AttachDescriptor(pipe.ClientSafePipeHandle, new ForwardingHandler());
            }
            catch (Exception ex)
            {
                thrown = ex;
            }
        });

        Assert.IsType<NotSupportedException>(thrown);
        Assert.False(pipe.ClientSafePipeHandle.IsClosed);
    }

    private static async Task<IAttachedDescriptor> AttachAsync(IConnection connection, SafePipeHandle readEnd, IDescriptorHandler handler, byte[]? greeting = null)
    {
        IAttachedDescriptor? attached = null;
        await RunOnAsync(connection, c =>
        {
            if (greeting is not null)
            {
                c.Write(greeting);
            }

            attached = c.AttachDescriptor(readEnd, handler);
        });
        return attached!;
    }

    private static async Task RunOnAsync(IConnection connection, Action<IConnection> action)
    {
        var ran = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        Assert.True(connection.Post((c, _) =>
        {
            try
            {
                action(c);
                ran.TrySetResult();
            }
            catch (Exception ex)
            {
                ran.TrySetException(ex);
            }
        }, null));
        await ran.Task.WaitAsync(Timeout);
    }

    /// <summary>Writes what it reads to the connection, and notes the most output it ever saw queued.</summary>
    private sealed class ForwardingHandler : IDescriptorHandler
    {
        private int _mostPending;
        private long _received;

        public TaskCompletionSource<string?> Ended { get; } = new(TaskCreationOptions.RunContinuationsAsynchronously);

        public int MostPending => Volatile.Read(ref _mostPending);

        public long Received => Interlocked.Read(ref _received);

        public void OnData(IConnection connection, ReadOnlySpan<byte> data)
        {
            Interlocked.Add(ref _received, data.Length);
            connection.Write(data);
            Volatile.Write(ref _mostPending, Math.Max(_mostPending, connection.PendingOutputBytes));
        }

        public void OnEnded(IConnection connection, string? error) => Ended.TrySetResult(error);
    }
}
