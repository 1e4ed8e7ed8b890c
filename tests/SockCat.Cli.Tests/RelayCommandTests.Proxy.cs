using System.Net;
using System.Net.Sockets;
using System.Text;
using SockCat.Testing;

namespace SockCat.Cli.Tests;

/// <summary>relay's outbound side through a proxy: the stream path, as for a tls:// TO.</summary>
public sealed partial class RelayCommandTests
{
    [Fact]
    public async Task Relay_ToThroughMicrosocksWithAuth_EchoesBack_AndTheProxyResolvedTheName()
    {
        using var proxy = await ProxyPeer.MicrosocksAsync("alice", "s3cret");
        await using var target = new ProxyTarget();
        await using var relay = await Relay.StartAsync("tcp://127.0.0.1:0", $"tcp://localhost:{target.Port}", "--proxy", $"socks5://alice:s3cret@127.0.0.1:{proxy.Port}");

        using var client = new Socket(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp);
        await client.ConnectAsync(new IPEndPoint(IPAddress.Loopback, relay.Port));
        await client.SendAsync("ping through the relay\n"u8.ToArray());
        var echo = new byte[23];
        using (var stream = new NetworkStream(client, ownsSocket: false))
        {
            await stream.ReadExactlyAsync(echo).AsTask().WaitAsync(CliRun.TestTimeout);
        }

        Assert.Equal("ping through the relay\n", Encoding.ASCII.GetString(echo));
        Assert.Contains($"connected to localhost:{target.Port}", proxy.Log, StringComparison.Ordinal);
        client.Close();
        var result = await relay.StopAsync();
        Assert.Equal(ExitCodes.Success, result.ExitCode);
        Assert.Contains($"sockcat: relaying to tcp://localhost:{target.Port} via socks5://alice@127.0.0.1:{proxy.Port}", result.Error, StringComparison.Ordinal);
        Assert.DoesNotContain("s3cret", result.Error + result.Output, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Relay_ProxyRefusesTheLogin_TheClientIsClosed_TheLogSaysWhy()
    {
        using var proxy = await ProxyPeer.MicrosocksAsync("alice", "s3cret");
        await using var target = new ProxyTarget();
        await using var relay = await Relay.StartAsync("tcp://127.0.0.1:0", $"tcp://127.0.0.1:{target.Port}", "--proxy", $"socks5://alice:wrong@127.0.0.1:{proxy.Port}");

        using var client = new Socket(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp);
        await client.ConnectAsync(new IPEndPoint(IPAddress.Loopback, relay.Port));
        var read = await client.ReceiveAsync(new byte[16], SocketFlags.None).WaitAsync(CliRun.TestTimeout);

        Assert.Equal(0, read);
        var result = await relay.StopAsync();
        Assert.Contains($"refused the user name 'alice' and its password", result.Output + result.Error, StringComparison.Ordinal);
    }
}
