using Microsoft.Extensions.Logging.Abstractions;
using SockCat.Endpoints;
using SockCat.Server;
using SockCat.Server.Hosting;
using SockCat.Services.Echo;

namespace SockCat.Benchmarks;

/// <summary>
/// The Kestrel-hosted path of <c>--transport kestrel-epoll</c> without sockets or Kestrel's accept loop: the loop's
/// protocol object (<see cref="EpollBridgeConnection"/>) writes received bytes into its input pipe, the engine's Kestrel
/// handler (<see cref="ProtocolConnectionHandler"/>) reads them and runs <see cref="EchoProtocol"/> through a
/// <see cref="KestrelConnection"/>, whose output pipe the bridge's pump hands back to the loop's connection. The pipes
/// schedule inline as in the server, so one <see cref="Echo"/> is that whole round trip on the calling thread, exactly the
/// per-message work of that transport minus the recv and send.
/// </summary>
internal sealed class KestrelBridgeEcho : IAsyncDisposable
{
    private readonly InMemoryConnection _loopConnection;
    private readonly EpollConnectionListener _listener;
    private readonly EpollBridgeConnection _bridge;
    private readonly Task _handler;

    public KestrelBridgeEcho(int outputCapacity)
    {
        var options = new ServerOptions();
        _loopConnection = new InMemoryConnection(outputCapacity);
        // Never bound: only its pipe options and its accept queue (which the bridge joins on connect) are used.
        _listener = new EpollConnectionListener(options);
        _bridge = new EpollBridgeConnection(_listener, _loopConnection);
        _bridge.OnConnected(_loopConnection);

        var host = new ServerHost(options, NullLogger.Instance, NullLoggerFactory.Instance, new ConnectionRegistry(), int.MaxValue);
        var handler = new ProtocolConnectionHandler(host, new ListenerBinding(EndpointUrl.Parse("tcp://127.0.0.1:7"), _ => EchoProtocol.Instance));
        // What KestrelTransport's admission step leaves for the handler: the connection count after this one was admitted.
        _bridge.Items[KestrelTransport.CountKey] = 1;
        // Runs inline until the handler's first read waits for input, then returns.
        _handler = handler.OnConnectedAsync(_bridge);
    }

    /// <summary>Delivers <paramref name="message"/> as one receive and returns what came back to the loop's connection.</summary>
    public ReadOnlySpan<byte> Echo(ReadOnlySpan<byte> message)
    {
        _loopConnection.Reset();
        _bridge.OnReceived(_loopConnection, message);
        return _loopConnection.Written;
    }

    public async ValueTask DisposeAsync()
    {
        // As the loop and Kestrel end a connection: the peer's FIN, then Kestrel disposing the context.
        _bridge.OnInputEnded(_loopConnection, default);
        await _handler.WaitAsync(TimeSpan.FromSeconds(10)).ConfigureAwait(false);
        await _bridge.DisposeAsync().ConfigureAwait(false);
        _bridge.OnClosed(_loopConnection, null);
        await _listener.DisposeAsync().ConfigureAwait(false);
    }
}
