using System.IO.Pipes;
using System.Security.Cryptography;
using Microsoft.Win32.SafeHandles;
using SockCat.Server;
using SockCat.Testing;

namespace SockCat.IntegrationTests.Server;

/// <summary>
/// A pipe written on its connection's own thread (<see cref="IConnection.AttachWritableDescriptor"/>): the peer's bytes
/// reach the pipe's reader in order, a reader that does not read holds the peer back (the connection stops reading it)
/// instead of the server keeping the bytes, and the end of the peer's input closes the pipe after what was kept. On the
/// transports with no loop of their own, the call says it is not supported.
/// </summary>
public sealed class AttachWritableDescriptorTests
{
    private static readonly TimeSpan Timeout = TimeSpan.FromSeconds(30);

    public static TheoryData<TestTransport> Epoll => [TestTransport.EpollTcp, TestTransport.EpollUnix];

    public static TheoryData<TestTransport> NoLoop => [TestTransport.KestrelTcp, TestTransport.KestrelTls, TestTransport.KestrelEpollTcp];

    [Theory]
    [MemberData(nameof(Epoll))]
    public async Task AttachWritableDescriptor_ReaderNotReading_PeerHeldBack_ThenAllArrivesInOrder_EndOfInputClosesIt(TestTransport transport)
    {
        // 16 MiB to a pipe nobody reads at first: the peer's sends must stall well short of it (a connection that kept
        // what the pipe refused would take it all), then the reader gets every byte in order and end of file after the
        // peer's FIN.
        const int total = 16 * 1024 * 1024;
        var data = RandomNumberGenerator.GetBytes(total);
        using var pipe = new AnonymousPipeServerStream(PipeDirection.In);
        var protocol = new PipeFeed(pipe.ClientSafePipeHandle);
        await using var server = await LoopbackServer.StartAsync(transport, _ => protocol);
        await using var client = await server.ConnectAsync();
        client.Socket.SendBufferSize = 64 * 1024;
        await protocol.Attached.Task.WaitAsync(Timeout);
        long sent = 0;

        var sender = Task.Run(async () =>
        {
            for (var at = 0; at < total; at += 64 * 1024)
            {
                await client.Stream.WriteAsync(data.AsMemory(at, 64 * 1024));
                Interlocked.Add(ref sent, 64 * 1024);
            }

            await client.ShutdownSendAsync();
        });
        await Settling.WaitUntilStableAsync(() => Interlocked.Read(ref sent), "the peer to be held back");

        Assert.False(sender.IsCompleted, "the connection took all 16 MiB while the pipe's reader read none of it");
        Assert.InRange(Interlocked.Read(ref sent), 1, total / 2);
        var received = new MemoryStream();
        await pipe.CopyToAsync(received).WaitAsync(Timeout);   // to end of file: the FIN closed the pipe
        await sender.WaitAsync(Timeout);
        Assert.Equal(data, received.ToArray());
        Assert.False(protocol.Closed.Task.IsCompleted, "the connection closed with its pipe");
    }

    [Theory]
    [MemberData(nameof(Epoll))]
    public async Task AttachWritableDescriptor_ReaderGone_WriteSaysSo_PeerReadOn(TestTransport transport)
    {
        using var pipe = new AnonymousPipeServerStream(PipeDirection.In);
        var protocol = new PipeFeed(pipe.ClientSafePipeHandle);
        await using var server = await LoopbackServer.StartAsync(transport, _ => protocol);
        await using var client = await server.ConnectAsync();
        await protocol.Attached.Task.WaitAsync(Timeout);
        await pipe.DisposeAsync();

        var block = new byte[64 * 1024];
        for (var i = 0; i < 64; i++)
        {
            await client.Stream.WriteAsync(block).AsTask().WaitAsync(Timeout);   // 4 MiB, dropped, never held back
        }

        await protocol.Refused.Task.WaitAsync(Timeout);
        Assert.False(protocol.Closed.Task.IsCompleted, "the connection closed with its pipe");
    }

    [Theory]
    [MemberData(nameof(NoLoop))]
    public async Task AttachWritableDescriptor_TransportWithoutALoopOfItsOwn_NotSupported_PipeLeftToItsOwner(TestTransport transport)
    {
        using var pipe = new AnonymousPipeServerStream(PipeDirection.In);
        var protocol = new PipeFeed(pipe.ClientSafePipeHandle);
        await using var server = await LoopbackServer.StartAsync(transport, _ => protocol);
        await using var client = await server.ConnectAsync();

        await Assert.ThrowsAsync<NotSupportedException>(() => protocol.Attached.Task.WaitAsync(Timeout));
        Assert.False(pipe.ClientSafePipeHandle.IsClosed);
    }

    /// <summary>Attaches the pipe's write end when connected, writes the peer's bytes to it, and completes it at the peer's FIN.</summary>
    private sealed class PipeFeed(SafePipeHandle writeEnd) : IConnectionProtocol
    {
        private IDescriptorWriter? _writer;

        public TaskCompletionSource Attached { get; } = new(TaskCreationOptions.RunContinuationsAsynchronously);

        public TaskCompletionSource Refused { get; } = new(TaskCreationOptions.RunContinuationsAsynchronously);

        public TaskCompletionSource<string?> Closed { get; } = new(TaskCreationOptions.RunContinuationsAsynchronously);

        public void OnConnected(IConnection connection)
        {
            try
            {
                _writer = connection.AttachWritableDescriptor(writeEnd);
                Attached.TrySetResult();
            }
            catch (NotSupportedException ex)
            {
                Attached.TrySetException(ex);
            }
        }

        public int OnReceived(IConnection connection, ReadOnlySpan<byte> data)
        {
            if (_writer is not null && !_writer.Write(data))
            {
                Refused.TrySetResult();
            }

            return data.Length;
        }

        public void OnInputEnded(IConnection connection, ReadOnlySpan<byte> unconsumed) => _writer?.Complete();

        public void OnClosed(IConnection connection, string? reason) => Closed.TrySetResult(reason);
    }
}
