using System.Net;
using System.Net.Sockets;
using SockCat.Services.Echo;
using SockCat.Testing;

namespace SockCat.IntegrationTests.Server.Tls;

/// <summary>
/// The handshake as a tls:// listener runs it (admission, then TLS, then the protocol): a stalled or non-TLS client is
/// closed with one log line, and gives its place back.
/// </summary>
public sealed class TlsListenerHandshakeTests
{
    /// <summary>tls:// on Kestrel's sockets (--transport kestrel) and on the engine's loop (the default).</summary>
    public static TheoryData<TestTransport> TlsHosts => [TestTransport.KestrelTls, TestTransport.EpollTls];

    [Theory]
    [MemberData(nameof(TlsHosts))]
    public async Task Handshake_ClientSendsNothing_ClosedAfterTimeoutLoggedAndPlaceGivenBack(TestTransport transport)
    {
        await using var server = await LoopbackServer.StartAsync(transport, _ => EchoProtocol.Instance, o =>
        {
            o.TlsHandshakeTimeout = TimeSpan.FromMilliseconds(500);
            o.MaxConnections = 1;
        });
        using var silent = new TcpClient();
        await silent.ConnectAsync(IPAddress.Loopback, server.Endpoint.Port);

        Assert.True(await EndsWithinAsync(silent, TimeSpan.FromSeconds(10)));
        await server.Logs.WaitForAsync(m => m.Any(l => l.StartsWith("TLS handshake with 127.0.0.1:", StringComparison.Ordinal)
            && l.EndsWith("did not complete within 0.5 s; connection closed.", StringComparison.Ordinal)));

        // With --max-conns 1 the stalled client held the only place while it waited: it is free again.
        await using var client = await server.ConnectAsync();
        await client.Stream.WriteAsync("ok"u8.ToArray());
        Assert.Equal("ok"u8.ToArray(), await client.ReadExactlyAsync(2));
        Assert.DoesNotContain(server.Logs.Messages, l => l.Contains("server full", StringComparison.Ordinal));
    }

    [Theory]
    [MemberData(nameof(TlsHosts))]
    public async Task Handshake_PlainTextClient_ClosedAndLoggedWithReason(TestTransport transport)
    {
        await using var server = await LoopbackServer.StartAsync(transport, _ => EchoProtocol.Instance);
        using var plain = new TcpClient();
        await plain.ConnectAsync(IPAddress.Loopback, server.Endpoint.Port);
        await plain.GetStream().WriteAsync("GET / HTTP/1.0\r\n\r\n"u8.ToArray());

        Assert.True(await EndsWithinAsync(plain, TimeSpan.FromSeconds(10)));
        await server.Logs.WaitForAsync(m => m.Any(l => l.StartsWith("TLS handshake with 127.0.0.1:", StringComparison.Ordinal) && l.Contains(" failed: ", StringComparison.Ordinal)));
        Assert.Equal(0, server.Server.Connections.Count);
        Assert.DoesNotContain(server.Logs.Messages, l => l.StartsWith("Connection accepted", StringComparison.Ordinal));
    }

    // True when the server ends the connection (end of stream or a reset) within the bound.
    private static async Task<bool> EndsWithinAsync(TcpClient client, TimeSpan bound)
    {
        using var cts = new CancellationTokenSource(bound);
        var buffer = new byte[4096];
        try
        {
            while (await client.GetStream().ReadAsync(buffer, cts.Token) > 0)
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
}
