using System.Net;
using System.Net.Security;
using System.Net.Sockets;
using SockCat.Endpoints;
using SockCat.Server;

namespace SockCat.Testing;

/// <summary>
/// A <see cref="SockCatServer"/> on loopback (port 0, or a fresh unix socket path) over one <see cref="TestTransport"/>,
/// with its log captured, and clients that connect to it the way that transport needs (TLS accepting the test
/// certificate). Disposing stops the server and fails the test if it logged an unexpected error.
/// </summary>
public sealed class LoopbackServer : IAsyncDisposable
{
    private LoopbackServer(TestTransport transport, SockCatServer server, IReadOnlyList<EndpointUrl> endpoints, ErrorFailingLoggerProvider logs)
    {
        Transport = transport;
        Server = server;
        Endpoints = endpoints;
        Logs = logs;
    }

    public TestTransport Transport { get; }

    public SockCatServer Server { get; }

    /// <summary>The first listener's bound endpoint.</summary>
    public EndpointUrl Endpoint => Endpoints[0];

    /// <summary>Every listener's bound endpoint, in the order their protocols were given.</summary>
    public IReadOnlyList<EndpointUrl> Endpoints { get; }

    public ErrorFailingLoggerProvider Logs { get; }

    public static Task<LoopbackServer> StartAsync(
        TestTransport transport,
        Func<IConnection, IConnectionProtocol> protocolFactory,
        Action<ServerOptions>? configure = null) => StartAsync(transport, [protocolFactory], configure);

    /// <summary>A server with one listener per protocol, each on its own fresh endpoint of the transport.</summary>
    public static async Task<LoopbackServer> StartAsync(
        TestTransport transport,
        IReadOnlyList<Func<IConnection, IConnectionProtocol>> listeners,
        Action<ServerOptions>? configure = null)
    {
        var options = new ServerOptions
        {
            Transport = transport switch
            {
                TestTransport.EpollTcp or TestTransport.EpollUnix or TestTransport.EpollTls => ServerTransport.Epoll,
                TestTransport.KestrelEpollTcp or TestTransport.KestrelEpollUnix => ServerTransport.KestrelEpoll,
                _ => ServerTransport.Kestrel,
            },
            LoopCount = 2,
            ServerCertificate = TestCertificates.Localhost,
        };
        configure?.Invoke(options);
        var logs = new ErrorFailingLoggerProvider();
        var server = new SockCatServer(options, logs);
        foreach (var protocolFactory in listeners)
        {
            server.Listen(NewUrl(transport), protocolFactory);
        }

        var bound = await server.StartAsync();
        return new LoopbackServer(transport, server, bound, logs);
    }

    private static EndpointUrl NewUrl(TestTransport transport) => transport switch
    {
        TestTransport.EpollUnix or TestTransport.KestrelUnix or TestTransport.KestrelEpollUnix =>
            EndpointUrl.Parse($"unix://{Path.Combine(Path.GetTempPath(), $"sockcat-test-{Guid.NewGuid():N}.sock")}"),
        TestTransport.KestrelTls or TestTransport.EpollTls => EndpointUrl.Parse("tls://127.0.0.1:0"),
        _ => EndpointUrl.Parse("tcp://127.0.0.1:0"),
    };

    /// <summary>Connects a client to the first listener (and completes its TLS handshake on tls).</summary>
    public Task<TestClient> ConnectAsync(CancellationToken cancellationToken = default) => ConnectAsync(Endpoint, cancellationToken);

    /// <summary>Connects a client to <paramref name="endpoint"/>, one of <see cref="Endpoints"/>.</summary>
    public async Task<TestClient> ConnectAsync(EndpointUrl endpoint, CancellationToken cancellationToken = default)
    {
        using var timeout = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        timeout.CancelAfter(TimeSpan.FromSeconds(10));
        Socket socket;
        if (endpoint.Scheme == EndpointScheme.Unix)
        {
            socket = new Socket(AddressFamily.Unix, SocketType.Stream, ProtocolType.Unspecified);
            await socket.ConnectAsync(new UnixDomainSocketEndPoint(endpoint.Path), timeout.Token);
        }
        else
        {
            socket = new Socket(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp) { NoDelay = true };
            await socket.ConnectAsync(new IPEndPoint(IPAddress.Loopback, endpoint.Port), timeout.Token);
        }

        Stream stream = new NetworkStream(socket, ownsSocket: false);
        if (endpoint.Scheme == EndpointScheme.Tls)
        {
            var ssl = new SslStream(stream, leaveInnerStreamOpen: false, (_, _, _, _) => true);
            await ssl.AuthenticateAsClientAsync(new SslClientAuthenticationOptions { TargetHost = "localhost" }, timeout.Token);
            stream = ssl;
        }

        return new TestClient(socket, stream);
    }

    public async ValueTask DisposeAsync()
    {
        await Server.StopAsync(TimeSpan.Zero);
        Logs.ThrowIfErrors();
    }
}

/// <summary>A test's client connection: the socket (for half-close) and the stream to read and write.</summary>
public sealed class TestClient(Socket socket, Stream stream) : IAsyncDisposable
{
    public Socket Socket { get; } = socket;

    public Stream Stream { get; } = stream;

    public EndPoint? LocalEndPoint => Socket.LocalEndPoint;

    /// <summary>Ends this side's output (TLS: close_notify, then FIN) while reading can go on.</summary>
    public async Task ShutdownSendAsync()
    {
        if (Stream is SslStream ssl)
        {
            await ssl.ShutdownAsync();
        }

        Socket.Shutdown(SocketShutdown.Send);
    }

    /// <summary>Reads until end of stream (or a reset, which also ends it), failing after <paramref name="timeout"/>.</summary>
    public async Task<byte[]> ReadToEndAsync(TimeSpan? timeout = null)
    {
        using var cts = new CancellationTokenSource(timeout ?? TimeSpan.FromSeconds(10));
        var output = new MemoryStream();
        var buffer = new byte[64 * 1024];
        try
        {
            while (true)
            {
                var n = await Stream.ReadAsync(buffer, cts.Token);
                if (n == 0)
                {
                    break;
                }

                output.Write(buffer, 0, n);
            }
        }
        catch (IOException)
        {
        }

        return output.ToArray();
    }

    /// <summary>Reads exactly <paramref name="count"/> bytes, failing after <paramref name="timeout"/>.</summary>
    public async Task<byte[]> ReadExactlyAsync(int count, TimeSpan? timeout = null)
    {
        using var cts = new CancellationTokenSource(timeout ?? TimeSpan.FromSeconds(10));
        var buffer = new byte[count];
        await Stream.ReadExactlyAsync(buffer, cts.Token);
        return buffer;
    }

    /// <summary>True when the server ends the stream (EOF or reset) within <paramref name="timeout"/>.</summary>
    public async Task<bool> EndsWithinAsync(TimeSpan timeout)
    {
        using var cts = new CancellationTokenSource(timeout);
        var buffer = new byte[4096];
        try
        {
            while (await Stream.ReadAsync(buffer, cts.Token) > 0)
            {
            }

            return true;
        }
        catch (IOException)
        {
            return true;
        }
        catch (OperationCanceledException)
        {
            return false;
        }
    }

    public async ValueTask DisposeAsync()
    {
        await Stream.DisposeAsync();
        Socket.Dispose();
    }
}
