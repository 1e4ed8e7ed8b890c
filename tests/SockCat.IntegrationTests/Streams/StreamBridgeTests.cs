using System.IO.Pipelines;
using System.Net;
using System.Net.Sockets;
using SockCat.Endpoints;
using SockCat.Server;
using SockCat.Streams;

namespace SockCat.IntegrationTests.Streams;

/// <summary>The library's stream bridge over a real loopback pair, accepted from a <see cref="StreamListener"/>.</summary>
public sealed class StreamBridgeTests
{
    private static readonly TimeSpan TestTimeout = TimeSpan.FromSeconds(30);

    [Fact]
    public async Task RunAsync_PeerEndsFirst_KeepsSendingTheInputToItsEndThenCompletes()
    {
        using var cts = new CancellationTokenSource(TestTimeout);
        using var listener = StreamListener.Start(EndpointUrl.Parse("tcp://127.0.0.1:0"));
        using var peer = new Socket(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp);
        await peer.ConnectAsync(IPAddress.Loopback, listener.Url.Port, cts.Token);
        using var accepted = await listener.AcceptAsync(cts.Token);
        var peerStream = new NetworkStream(peer);
        // The peer says its piece and half-closes before the bridge has sent anything.
        await peerStream.WriteAsync("banner"u8.ToArray(), cts.Token);
        peer.Shutdown(SocketShutdown.Send);
        var input = new Pipe();
        var output = new MemoryStream();

        var bridge = StreamBridge.RunAsync(input.Reader.AsStream(), output, accepted, null, cts.Token);
        var upload = new byte[3 * StreamBridgeOptions.DefaultBufferSize + 1];
        await input.Writer.WriteAsync(upload, cts.Token);
        await input.Writer.CompleteAsync();
        var received = new MemoryStream();
        await peerStream.CopyToAsync(received, cts.Token);
        var result = await bridge;

        Assert.Equal(upload.Length, received.Length);
        Assert.Equal("banner"u8.ToArray(), output.ToArray());
        Assert.Equal(new StreamBridgeResult(StreamBridgeOutcome.Completed, upload.Length, 6, InputEnded: true, PeerEnded: true), result);
    }

    [Fact]
    public async Task RunAsync_OutputCannotBeWritten_EndsWithOutputFailed()
    {
        using var cts = new CancellationTokenSource(TestTimeout);
        using var listener = StreamListener.Start(EndpointUrl.Parse("tcp://127.0.0.1:0"));
        using var peer = new Socket(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp);
        await peer.ConnectAsync(IPAddress.Loopback, listener.Url.Port, cts.Token);
        using var accepted = await listener.AcceptAsync(cts.Token);
        await peer.SendAsync("data"u8.ToArray(), cts.Token);
        var input = new Pipe();

        var result = await StreamBridge.RunAsync(input.Reader.AsStream(), new ReadOnlyStream(), accepted, null, cts.Token);

        Assert.Equal(StreamBridgeOutcome.OutputFailed, result.Outcome);
        Assert.IsType<NotSupportedException>(result.Error);
        Assert.Equal(4, result.BytesReceived);
    }

    [Fact]
    public async Task RunAsync_PeerResetsWhileInputIsSent_EndsWithPeerFailed()
    {
        using var cts = new CancellationTokenSource(TestTimeout);
        using var listener = StreamListener.Start(EndpointUrl.Parse("tcp://127.0.0.1:0"));
        var peer = new Socket(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp);
        await peer.ConnectAsync(IPAddress.Loopback, listener.Url.Port, cts.Token);
        using var accepted = await listener.AcceptAsync(cts.Token);
        var input = new Pipe();
        await input.Writer.WriteAsync(new byte[1], cts.Token);

        var bridge = StreamBridge.RunAsync(input.Reader.AsStream(), Stream.Null, accepted, null, cts.Token);
        await peer.ReceiveAsync(new byte[1], cts.Token);
        peer.LingerState = new LingerOption(true, 0);
        peer.Dispose();
        var result = await bridge;

        Assert.Equal(StreamBridgeOutcome.PeerFailed, result.Outcome);
        Assert.Equal(SocketError.ConnectionReset, Assert.IsType<SocketException>(result.Error!.InnerException ?? result.Error).SocketErrorCode);
        Assert.False(result.PeerEnded);
    }

    [Fact]
    public async Task RunAsync_Cancelled_EndsWithCancelledAndTheBytesSoFar()
    {
        using var cts = new CancellationTokenSource(TestTimeout);
        using var stop = new CancellationTokenSource();
        using var listener = StreamListener.Start(EndpointUrl.Parse("tcp://127.0.0.1:0"));
        using var peer = new Socket(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp);
        await peer.ConnectAsync(IPAddress.Loopback, listener.Url.Port, cts.Token);
        using var accepted = await listener.AcceptAsync(cts.Token);
        var input = new Pipe();
        await input.Writer.WriteAsync("abc"u8.ToArray(), cts.Token);

        var bridge = StreamBridge.RunAsync(input.Reader.AsStream(), Stream.Null, accepted, null, stop.Token);
        await new NetworkStream(peer).ReadExactlyAsync(new byte[3], cts.Token);
        await stop.CancelAsync();
        var result = await bridge.WaitAsync(cts.Token);

        Assert.Equal((StreamBridgeOutcome.Cancelled, 3L), (result.Outcome, result.BytesSent));
    }

    /// <summary>An output that refuses every write.</summary>
    private sealed class ReadOnlyStream : MemoryStream
    {
        public ReadOnlyStream()
            : base([], writable: false)
        {
        }
    }
}
