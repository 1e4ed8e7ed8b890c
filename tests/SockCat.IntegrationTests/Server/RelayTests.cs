using System.Net;
using System.Net.Security;
using System.Net.Sockets;
using System.Security.Cryptography;
using SockCat.Client;
using SockCat.Endpoints;
using SockCat.Server;
using SockCat.Server.Relay;
using SockCat.Testing;

namespace SockCat.IntegrationTests.Server;

/// <summary>
/// <see cref="IConnection.RelayTo"/>: a server connection paired with an outbound one, over real loopback sockets. Bytes
/// both ways, each direction's half-close passed through on its own, a slow side pausing the fast one (memory bounded),
/// and an unreachable target reported with its reason. On every transport; tcp, unix and tls targets.
/// </summary>
public sealed class RelayTests
{
    private static readonly TimeSpan Timeout = TimeSpan.FromSeconds(30);

    public static TheoryData<TestTransport, string> TargetMatrix => new()
    {
        { TestTransport.EpollTcp, "tcp" },
        { TestTransport.EpollTcp, "unix" },
        { TestTransport.EpollTcp, "tls" },
        { TestTransport.EpollUnix, "tcp" },
        { TestTransport.KestrelTcp, "tcp" },
        { TestTransport.KestrelTls, "tcp" },
        { TestTransport.KestrelTls, "unix" },
        { TestTransport.KestrelEpollTcp, "tcp" },
        { TestTransport.EpollTls, "tcp" },
        { TestTransport.EpollTls, "tls" },
    };

    [Theory]
    [MemberData(nameof(TargetMatrix))]
    [MemberData(nameof(SpliceMatrix))]
    public async Task Relay_ClientSendsThenHalfCloses_TargetSeesEndOfStreamAndTheClientStillReadsTheAnswer(TestTransport transport, string targetKind, bool splice = false)
    {
        var request = RandomNumberGenerator.GetBytes(3 * 1024 * 1024 + 17);
        var answer = RandomNumberGenerator.GetBytes(2 * 1024 * 1024 + 5);
        await using var target = await Target.StartAsync(targetKind);
        var observer = new Observer();
        await using var server = await LoopbackServer.StartAsync(transport, _ => new RelayingProtocol(target.Url, observer, target.Connect, splice: splice));

        var serving = Task.Run(async () =>
        {
            await using var peer = await target.AcceptAsync();
            // Reads to end of stream: it comes only if the client's FIN was passed through.
            var received = await ReadToEndAsync(peer.Stream);
            await peer.Stream.WriteAsync(SHA256.HashData(received));
            await peer.Stream.WriteAsync(answer);
            await peer.ShutdownSendAsync();
            return received;
        });

        await using var client = await server.ConnectAsync();
        await client.Stream.WriteAsync(request);
        await ShutdownSendAsync(client);
        var reply = await ReadToEndAsync(client.Stream).WaitAsync(Timeout);

        Assert.Equal(request, await serving.WaitAsync(Timeout));
        Assert.Equal(SHA256.HashData(request), reply[..32]);
        Assert.Equal(answer, reply[32..]);
        var result = await observer.Ended.Task.WaitAsync(Timeout);
        Assert.True(observer.Connected.Task.IsCompleted);
        Assert.Null(result.ConnectError);
        Assert.Null(result.Reason);
        Assert.Equal(request.Length, result.BytesToTarget);
        Assert.Equal(32 + answer.Length, result.BytesFromTarget);
    }

    /// <summary>The epoll relay's splice(2) path (RelayOptions.Splice): tcp and unix on either side; a tls target copies.</summary>
    public static TheoryData<TestTransport, string, bool> SpliceMatrix => new()
    {
        { TestTransport.EpollTcp, "tcp", true },
        { TestTransport.EpollTcp, "unix", true },
        { TestTransport.EpollTcp, "tls", true },
        { TestTransport.EpollUnix, "tcp", true },
    };

    /// <summary>
    /// Where the client's connection can be half-closed while its input goes on: not on Kestrel's socket transport
    /// (aspnetcore#14937), but tls:// on the engine's loop sends close_notify and then its FIN.
    /// </summary>
    public static TheoryData<TestTransport, string> HalfCloseMatrix => new()
    {
        { TestTransport.EpollTcp, "tcp" },
        { TestTransport.EpollTcp, "unix" },
        { TestTransport.EpollTcp, "tls" },
        { TestTransport.EpollUnix, "tcp" },
        { TestTransport.EpollTls, "tcp" },
        { TestTransport.EpollTls, "unix" },
        { TestTransport.KestrelEpollTcp, "tcp" },
    };

    [Theory]
    [MemberData(nameof(HalfCloseMatrix))]
    [MemberData(nameof(SpliceMatrix))]
    public async Task Relay_TargetSendsThenHalfCloses_ClientSeesEndOfStreamAndMayStillSend(TestTransport transport, string targetKind, bool splice = false)
    {
        var greeting = RandomNumberGenerator.GetBytes(700 * 1024);
        var after = RandomNumberGenerator.GetBytes(900 * 1024);
        await using var target = await Target.StartAsync(targetKind);
        var observer = new Observer();
        await using var server = await LoopbackServer.StartAsync(transport, _ => new RelayingProtocol(target.Url, observer, target.Connect, splice: splice));

        var serving = Task.Run(async () =>
        {
            await using var peer = await target.AcceptAsync();
            await peer.Stream.WriteAsync(greeting);
            await peer.ShutdownSendAsync();
            // Still reads: what the client sends after our FIN reached it must arrive.
            return await ReadToEndAsync(peer.Stream);
        });

        await using var client = await server.ConnectAsync();
        var read = await ReadToEndAsync(client.Stream).WaitAsync(Timeout);
        Assert.Equal(greeting, read);
        await client.Stream.WriteAsync(after);
        await ShutdownSendAsync(client);

        Assert.Equal(after, await serving.WaitAsync(Timeout));
        var result = await observer.Ended.Task.WaitAsync(Timeout);
        Assert.Null(result.Reason);
        Assert.Equal(after.Length, result.BytesToTarget);
        Assert.Equal(greeting.Length, result.BytesFromTarget);
    }

    [Theory]
    [InlineData(TestTransport.KestrelTcp, "tcp")]
    [InlineData(TestTransport.KestrelTls, "tcp")]
    [InlineData(TestTransport.KestrelUnix, "unix")]
    public async Task Relay_OnKestrel_TargetSendsThenCloses_ClientReadsItAllThenEndOfStream(TestTransport transport, string targetKind)
    {
        // As an HTTP/1.0 server answers: Kestrel's socket transport cannot half-close, so the target's end closes the
        // client's connection, after every byte the target sent. (On the epoll loop, HalfCloseMatrix: a FIN instead.)
        var answer = RandomNumberGenerator.GetBytes(1024 * 1024 + 3);
        await using var target = await Target.StartAsync(targetKind);
        var observer = new Observer();
        await using var server = await LoopbackServer.StartAsync(transport, _ => new RelayingProtocol(target.Url, observer, target.Connect));

        var serving = Task.Run(async () =>
        {
            await using var peer = await target.AcceptAsync();
            var request = new byte[5];
            await peer.Stream.ReadExactlyAsync(request);
            await peer.Stream.WriteAsync(answer);
            await peer.ShutdownSendAsync();
            return request;
        });

        await using var client = await server.ConnectAsync();
        await client.Stream.WriteAsync("GET /"u8.ToArray());
        var read = await ReadToEndAsync(client.Stream).WaitAsync(Timeout);

        Assert.Equal("GET /"u8.ToArray(), await serving.WaitAsync(Timeout));
        Assert.Equal(answer, read);
        Assert.Equal(answer.Length, (await observer.Ended.Task.WaitAsync(Timeout)).BytesFromTarget);
    }

    [Theory]
    [InlineData(TestTransport.EpollTcp)]
    [InlineData(TestTransport.EpollUnix)]
    [InlineData(TestTransport.EpollTcp, true)]
    [InlineData(TestTransport.EpollUnix, true)]
    public async Task Relay_ClientThatDoesNotRead_PausesTheTargetWithTheQueueWithinItsBound(TestTransport transport, bool splice = false)
    {
        // The target sends 64 MiB as fast as it can; the client reads nothing until the target is stuck. What the relay
        // holds for the client must stay within the bound (plus one receive), and every byte must then arrive.
        const int maxQueue = 64 * 1024;
        var payload = RandomNumberGenerator.GetBytes(64 * 1024 * 1024);
        await using var target = await Target.StartAsync("tcp");
        var observer = new Observer();
        IConnection? inbound = null;
        await using var server = await LoopbackServer.StartAsync(
            transport,
            c => new RelayingProtocol(target.Url, observer, target.Connect, c2 => inbound = c2, splice),
            o => o.MaxOutputQueueBytes = maxQueue);

        await using var client = await server.ConnectAsync();
        long written = 0;
        var serving = Task.Run(async () =>
        {
            await using var peer = await target.AcceptAsync();
            for (var at = 0; at < payload.Length; at += 64 * 1024)
            {
                await peer.Stream.WriteAsync(payload.AsMemory(at, 64 * 1024));
                Interlocked.Add(ref written, 64 * 1024);
            }

            await peer.ShutdownSendAsync();
        });

        await observer.Connected.Task.WaitAsync(Timeout);
        var largest = 0;
        using var sampling = new CancellationTokenSource();
        var sampler = Task.Run(async () =>
        {
            while (!sampling.IsCancellationRequested)
            {
                var pending = new TaskCompletionSource<int>(TaskCreationOptions.RunContinuationsAsynchronously);
                if (!inbound!.Post((c, _) => pending.TrySetResult(c.PendingOutputBytes), null, _ => pending.TrySetResult(0)))
                {
                    return;
                }

                largest = Math.Max(largest, await pending.Task);
                await Task.Delay(5);
            }
        });

        await Settling.WaitUntilStableAsync(() => Interlocked.Read(ref written), "the target never stopped writing to a client that does not read");
        Assert.True(Interlocked.Read(ref written) < payload.Length, "the whole payload went into a client that reads nothing: no backpressure");
        var received = await ReadToEndAsync(client.Stream).WaitAsync(Timeout);
        await sampling.CancelAsync();
        await sampler;
        await serving.WaitAsync(Timeout);

        Assert.Equal(SHA256.HashData(payload), SHA256.HashData(received));
        Assert.InRange(largest, 1, maxQueue + 64 * 1024);
    }

    [Theory]
    [InlineData(TestTransport.EpollTcp)]
    [InlineData(TestTransport.KestrelTcp)]
    [InlineData(TestTransport.EpollTcp, true)]
    public async Task Relay_TargetThatDoesNotRead_PausesTheClient(TestTransport transport, bool splice = false)
    {
        var payload = RandomNumberGenerator.GetBytes(64 * 1024 * 1024);
        await using var target = await Target.StartAsync("tcp");
        var observer = new Observer();
        await using var server = await LoopbackServer.StartAsync(transport, _ => new RelayingProtocol(target.Url, observer, target.Connect, splice: splice),
            o => o.MaxOutputQueueBytes = 64 * 1024);

        await using var client = await server.ConnectAsync();
        await observer.Connected.Task.WaitAsync(Timeout);
        var peer = await target.AcceptAsync();
        long written = 0;
        var sending = Task.Run(async () =>
        {
            for (var at = 0; at < payload.Length; at += 64 * 1024)
            {
                await client.Stream.WriteAsync(payload.AsMemory(at, 64 * 1024));
                Interlocked.Add(ref written, 64 * 1024);
            }

            await ShutdownSendAsync(client);
        });

        await Settling.WaitUntilStableAsync(() => Interlocked.Read(ref written), "the client never stopped writing to a target that does not read");
        Assert.True(Interlocked.Read(ref written) < payload.Length, "the whole payload was taken for a target that reads nothing: no backpressure");
        var received = await ReadToEndAsync(peer.Stream).WaitAsync(Timeout);
        await sending.WaitAsync(Timeout);
        await peer.DisposeAsync();

        Assert.Equal(SHA256.HashData(payload), SHA256.HashData(received));
    }

    [Theory]
    [InlineData(TestTransport.EpollTcp, "tcp")]
    [InlineData(TestTransport.EpollTcp, "unix")]
    [InlineData(TestTransport.EpollTcp, "tls")]
    [InlineData(TestTransport.KestrelTls, "tcp")]
    [InlineData(TestTransport.EpollTls, "tcp")]
    public async Task Relay_NothingListensAtTheTarget_ClientClosedWithTheReasonLoggedAndTheNextClientTriesAgain(TestTransport transport, string targetKind)
    {
        var url = targetKind switch
        {
            "unix" => EndpointUrl.Parse($"unix://{Path.Combine(Path.GetTempPath(), $"sockcat-nothing-{Guid.NewGuid():N}.sock")}"),
            _ => EndpointUrl.Parse($"{targetKind}://127.0.0.1:{LoopbackPorts.Unused()}"),
        };
        var observers = new List<Observer>();
        await using var server = await LoopbackServer.StartAsync(transport, _ =>
        {
            var observer = new Observer();
            lock (observers)
            {
                observers.Add(observer);
            }

            return new RelayingProtocol(url, observer, new ConnectOptions());
        });

        for (var attempt = 1; attempt <= 2; attempt++)
        {
            await using var client = await server.ConnectAsync();
            Assert.Empty(await ReadToEndAsync(client.Stream).WaitAsync(Timeout));
            Observer observer;
            lock (observers)
            {
                observer = observers[attempt - 1];
            }

            var result = await observer.Ended.Task.WaitAsync(Timeout);
            Assert.False(observer.Connected.Task.IsCompleted);
            var error = Assert.IsType<ConnectException>(result.ConnectError);
            Assert.Equal(targetKind == "unix" ? ConnectFailure.NoSuchSocket : ConnectFailure.Refused, error.Failure);
            Assert.Equal(0, result.BytesToTarget);
        }

        await server.Logs.WaitForAsync(
            m => m.Count(l => l.Contains($"cannot reach {url}") && l.Contains(targetKind == "unix" ? "ENOENT" : "ECONNREFUSED")) == 2,
            what: "two close lines that say the target cannot be reached, and why");
    }

    [Fact]
    public void RelayTo_OnAConnectionWithNoTransport_NotSupported()
    {
        var connection = new InMemoryConnection(SockCat.Services.Echo.EchoProtocol.Instance);
        Assert.Throws<NotSupportedException>(() => ((IConnection)connection).RelayTo(EndpointUrl.Parse("tcp://127.0.0.1:1")));
    }

    private static async Task ShutdownSendAsync(TestClient client)
    {
        if (client.Stream is SslStream ssl)
        {
            await ssl.ShutdownAsync();
        }

        client.Socket.Shutdown(SocketShutdown.Send);
    }

    private static async Task<byte[]> ReadToEndAsync(Stream stream)
    {
        var all = new MemoryStream();
        await stream.CopyToAsync(all);
        return all.ToArray();
    }

    /// <summary>Relays every connection to the target at once, and tells the test how it went.</summary>
    private sealed class RelayingProtocol(EndpointUrl target, IRelayObserver observer, ConnectOptions connect, Action<IConnection>? connected = null, bool splice = false)
        : IConnectionProtocol
    {
        public void OnConnected(IConnection connection)
        {
            connected?.Invoke(connection);
            connection.RelayTo(target, new RelayOptions { Connect = connect, Observer = observer, Splice = splice });
        }

        public int OnReceived(IConnection connection, ReadOnlySpan<byte> data) => throw new InvalidOperationException("the relay carries the bytes");
    }

    private sealed class Observer : IRelayObserver
    {
        public TaskCompletionSource<EndPoint?> Connected { get; } = new(TaskCreationOptions.RunContinuationsAsynchronously);

        public TaskCompletionSource<RelayResult> Ended { get; } = new(TaskCreationOptions.RunContinuationsAsynchronously);

        public void OnRelayConnected(IConnection connection, EndPoint? target) => Connected.TrySetResult(target);

        public void OnRelayEnded(IConnection connection, RelayResult result) => Ended.TrySetResult(result);
    }

    /// <summary>A relay's target: a listening socket on loopback (tcp, unix, or tcp with TLS on the accepted side).</summary>
    private sealed class Target : IAsyncDisposable
    {
        private readonly Socket _listener;
        private readonly bool _tls;
        private readonly string? _path;

        private Target(Socket listener, EndpointUrl url, bool tls, string? path)
        {
            _listener = listener;
            Url = url;
            _tls = tls;
            _path = path;
        }

        public EndpointUrl Url { get; }

        public ConnectOptions Connect => new() { AllowUntrustedCertificate = _tls };

        public static Task<Target> StartAsync(string kind)
        {
            if (kind == "unix")
            {
                var path = Path.Combine(Path.GetTempPath(), $"sockcat-target-{Guid.NewGuid():N}.sock");
                var unix = new Socket(AddressFamily.Unix, SocketType.Stream, ProtocolType.Unspecified);
                unix.Bind(new UnixDomainSocketEndPoint(path));
                unix.Listen(16);
                return Task.FromResult(new Target(unix, EndpointUrl.Parse($"unix://{path}"), false, path));
            }

            var tcp = new Socket(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp);
            tcp.Bind(new IPEndPoint(IPAddress.Loopback, 0));
            tcp.Listen(16);
            var port = ((IPEndPoint)tcp.LocalEndPoint!).Port;
            return Task.FromResult(new Target(tcp, EndpointUrl.Parse($"{kind}://127.0.0.1:{port}"), kind == "tls", null));
        }

        public async Task<Peer> AcceptAsync()
        {
            using var timeout = new CancellationTokenSource(Timeout);
            var socket = await _listener.AcceptAsync(timeout.Token);
            Stream stream = new NetworkStream(socket, ownsSocket: false);
            if (_tls)
            {
                var ssl = new SslStream(stream, leaveInnerStreamOpen: false);
                await ssl.AuthenticateAsServerAsync(new SslServerAuthenticationOptions { ServerCertificate = TestCertificates.Localhost }, timeout.Token);
                stream = ssl;
            }

            return new Peer(socket, stream);
        }

        public ValueTask DisposeAsync()
        {
            _listener.Dispose();
            if (_path is not null)
            {
                File.Delete(_path);
            }

            return ValueTask.CompletedTask;
        }
    }

    private sealed class Peer(Socket socket, Stream stream) : IAsyncDisposable
    {
        public Stream Stream { get; } = stream;

        public async Task ShutdownSendAsync()
        {
            if (Stream is SslStream ssl)
            {
                await ssl.ShutdownAsync();
            }

            socket.Shutdown(SocketShutdown.Send);
        }

        public async ValueTask DisposeAsync()
        {
            await Stream.DisposeAsync();
            socket.Dispose();
        }
    }
}
