using System.Diagnostics;
using System.Net;
using System.Net.Sockets;
using SockCat.Client;
using SockCat.Endpoints;

namespace SockCat.IntegrationTests.Client;

/// <summary>Each failure a connect can meet, made to happen on loopback, with the errno PHP's $errno would show.</summary>
public sealed class ConnectFailureTests
{
    [Fact]
    public async Task ConnectAsync_PortJustReleased_IsRefusedWithEconnrefused()
    {
        var port = LoopbackPeers.ReleasedPort();

        var ex = await Assert.ThrowsAsync<ConnectException>(() => SocketClient.ConnectAsync(EndpointUrl.Parse($"tcp://127.0.0.1:{port}")));

        Assert.Equal(ConnectFailure.Refused, ex.Failure);
        Assert.Equal(111, ex.ErrorNumber);
        Assert.Equal("ECONNREFUSED", ex.ErrorName);
        Assert.Equal(SocketError.ConnectionRefused, ex.SocketError);
        Assert.Equal($"connection refused by 127.0.0.1:{port} (ECONNREFUSED)", ex.Message);
        Assert.Equal("is a server listening there?", ex.Hint);
        Assert.IsAssignableFrom<IOException>(ex);
    }

    [Fact]
    public async Task ConnectAsync_ListenerWhoseQueueIsFull_TimesOutWithEtimedout()
    {
        // Backlog 1 and nobody accepting: once the accept queue is full the kernel drops further SYNs, so a connect waits.
        using var listener = new Socket(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp);
        listener.Bind(new IPEndPoint(IPAddress.Loopback, 0));
        listener.Listen(1);
        var port = ((IPEndPoint)listener.LocalEndPoint!).Port;
        var url = EndpointUrl.Parse($"tcp://127.0.0.1:{port}");
        var fillers = new List<ClientConnection>();
        try
        {
            ConnectException? timedOut = null;
            var elapsed = Stopwatch.StartNew();
            var options = new ConnectOptions { Timeout = TimeSpan.FromMilliseconds(300) };
            for (var i = 0; i < 16 && timedOut is null; i++)
            {
                elapsed.Restart();
                try
                {
                    fillers.Add(await SocketClient.ConnectAsync(url, options));
                }
                catch (ConnectException ex)
                {
                    timedOut = ex;
                }
            }

            Assert.NotNull(timedOut);
            Assert.Equal(ConnectFailure.TimedOut, timedOut.Failure);
            Assert.Equal(110, timedOut.ErrorNumber);
            Assert.Equal("ETIMEDOUT", timedOut.ErrorName);
            Assert.Equal($"connection to 127.0.0.1:{port} timed out after 0.3 s (ETIMEDOUT)", timedOut.Message);
            // Not cut early (a loaded machine can only make it later, so no upper bound): the timeout, not another failure, ended it.
            Assert.True(elapsed.Elapsed >= TimeSpan.FromMilliseconds(250), $"timed out after {elapsed.Elapsed.TotalMilliseconds} ms");
        }
        finally
        {
            fillers.ForEach(f => f.Dispose());
        }
    }

    [Fact]
    public async Task ConnectAsync_UdpToBroadcastWithoutSoBroadcast_IsPermissionDeniedWithEacces()
    {
        // connect() on a datagram socket sends nothing; the kernel refuses a broadcast destination at once.
        var ex = await Assert.ThrowsAsync<ConnectException>(() => SocketClient.ConnectAsync(EndpointUrl.Parse("udp://255.255.255.255:9")));

        Assert.Equal(ConnectFailure.PermissionDenied, ex.Failure);
        Assert.Equal(13, ex.ErrorNumber);
        Assert.Equal("EACCES", ex.ErrorName);
        Assert.Equal("permission denied connecting to 255.255.255.255:9 (EACCES)", ex.Message);
    }

    [Fact]
    public async Task ConnectAsync_NameThatDoesNotResolve_IsHostNotFound()
    {
        // The lookup itself is replaced (no packet may leave the machine); what is tested is how its failure is reported.
        // The real lookup is proven in SockCat.Cli.Tests, inside a network namespace with DNS switched off.
        var ex = await Assert.ThrowsAsync<ConnectException>(() => SocketClient.ConnectWithResolverAsync(
            EndpointUrl.Parse("tcp://no-such-host.invalid:80"),
            null,
            (_, _) => Task.FromException<IPAddress[]>(new SocketException((int)SocketError.HostNotFound)),
            CancellationToken.None));

        Assert.Equal(ConnectFailure.HostNotFound, ex.Failure);
        Assert.Equal("EAI_NONAME", ex.ErrorName);
        Assert.Equal(-2, ex.ErrorNumber);
        Assert.Equal("no such host 'no-such-host.invalid' (EAI_NONAME)", ex.Message);
    }

    [Fact]
    public async Task ConnectAsync_LookupThatNeverAnswers_TimesOutNamingTheLookup()
    {
        var ex = await Assert.ThrowsAsync<ConnectException>(() => SocketClient.ConnectWithResolverAsync(
            EndpointUrl.Parse("tcp://slow.test:80"),
            new ConnectOptions { Timeout = TimeSpan.FromMilliseconds(200) },
            async (_, ct) => { await Task.Delay(Timeout.Infinite, ct); return []; },
            CancellationToken.None));

        Assert.Equal(ConnectFailure.TimedOut, ex.Failure);
        Assert.Equal("looking up 'slow.test' timed out after 0.2 s (ETIMEDOUT)", ex.Message);
    }

    [Fact]
    public async Task ConnectAsync_UnixPathWithNoFile_IsNoSuchSocketWithEnoent()
    {
        var path = Path.Combine(Path.GetTempPath(), $"sockcat-missing-{Guid.NewGuid():N}.sock");

        var ex = await Assert.ThrowsAsync<ConnectException>(() => SocketClient.ConnectAsync(EndpointUrl.Parse($"unix://{path}")));

        Assert.Equal(ConnectFailure.NoSuchSocket, ex.Failure);
        Assert.Equal("ENOENT", ex.ErrorName);
        Assert.Equal(2, ex.ErrorNumber);
        Assert.Equal($"no unix socket {path} (ENOENT)", ex.Message);
    }

    [Fact]
    public async Task ConnectAsync_UnixSocketFileWithoutListener_IsRefused()
    {
        var path = Path.Combine(Path.GetTempPath(), $"sockcat-stale-{Guid.NewGuid():N}.sock");
        // .NET removes a socket's file when the socket is disposed; moving the file away first leaves it behind, as a crashed server does.
        using (var dead = new Socket(AddressFamily.Unix, SocketType.Stream, ProtocolType.Unspecified))
        {
            dead.Bind(new UnixDomainSocketEndPoint(path + ".tmp"));
            File.Move(path + ".tmp", path);
        }

        try
        {
            var ex = await Assert.ThrowsAsync<ConnectException>(() => SocketClient.ConnectAsync(EndpointUrl.Parse($"unix://{path}")));

            Assert.Equal(ConnectFailure.Refused, ex.Failure);
            Assert.Equal("ECONNREFUSED", ex.ErrorName);
            Assert.Equal($"nothing is listening on unix socket {path} (ECONNREFUSED)", ex.Message);
        }
        finally
        {
            File.Delete(path);
        }
    }

    [Fact]
    public async Task ConnectAsync_CallerCancels_ThrowsOperationCanceledNotTimeout()
    {
        using var cts = new CancellationTokenSource();
        cts.Cancel();

        await Assert.ThrowsAnyAsync<OperationCanceledException>(() => SocketClient.ConnectWithResolverAsync(
            EndpointUrl.Parse("tcp://slow.test:80"), null, (_, ct) => Task.Delay(Timeout.Infinite, ct).ContinueWith(_ => Array.Empty<IPAddress>(), ct), cts.Token));
    }
}
