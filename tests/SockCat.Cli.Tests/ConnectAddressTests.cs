using System.Net;
using System.Net.Sockets;
using System.Text;

namespace SockCat.Cli.Tests;

/// <summary>`connect HOST PORT`, -4/-6 and --source, as nc users type them, against real loopback listeners.</summary>
public sealed class ConnectAddressTests
{
    [Fact]
    public async Task Connect_HostAndPortAsTwoArguments_IsTcpToThatHostAndPort()
    {
        using var cts = new CancellationTokenSource(CliRun.TestTimeout);
        using var listener = new TcpListener(IPAddress.Loopback, 0);
        listener.Start();
        var port = ((IPEndPoint)listener.LocalEndpoint).Port;
        var server = ServeOnceAsync(listener, "pong\n", cts.Token);

        var result = await CliRun.InvokeAsync("ping\n"u8.ToArray(), "connect", "127.0.0.1", port.ToString());

        Assert.Equal((0, "", "pong\n"), (result.ExitCode, result.Error, result.StdoutText));
        Assert.Equal("ping\n", (await server).Received);
    }

    [Fact]
    public async Task Connect_Source_TheServerSeesTheConnectionComeFromThatAddressAndVerboseSaysIt()
    {
        using var cts = new CancellationTokenSource(CliRun.TestTimeout);
        using var listener = new TcpListener(IPAddress.Loopback, 0);
        listener.Start();
        var port = ((IPEndPoint)listener.LocalEndpoint).Port;
        var server = ServeOnceAsync(listener, "", cts.Token);

        // 127.0.0.2 is loopback, but never the source the system would pick to reach 127.0.0.1.
        var result = await CliRun.InvokeAsync("x"u8.ToArray(), "connect", "-v", "-s", "127.0.0.2", "127.0.0.1", port.ToString());
        var from = (await server).From;

        Assert.Equal(0, result.ExitCode);
        Assert.Equal(IPAddress.Parse("127.0.0.2"), from.Address);
        Assert.StartsWith($"sockcat: connected to tcp://127.0.0.1:{port} (127.0.0.1:{port}) from {from}\n", result.Error);
    }

    [Fact]
    public async Task Connect_SourcePortHeldByAListener_SaysInUseInOneLineAndExitsConnectFailed()
    {
        using var target = new TcpListener(IPAddress.Loopback, 0);
        target.Start();
        using var holder = new TcpListener(IPAddress.Loopback, 0);
        holder.Start();
        var held = ((IPEndPoint)holder.LocalEndpoint).Port;

        var result = await CliRun.InvokeAsync("connect", "--source", $"127.0.0.1:{held}", $"tcp://127.0.0.1:{((IPEndPoint)target.LocalEndpoint).Port}");

        Assert.Equal(3, result.ExitCode);
        Assert.Equal($"sockcat: cannot use local address 127.0.0.1:{held}: port {held} is already in use (EADDRINUSE); pick another local port, or let the system choose one\n", result.Error);
    }

    [Fact]
    public async Task Connect_SourceNotAnAddressOfThisMachine_SaysSoInOneLineAndExitsConnectFailed()
    {
        // TEST-NET-1 (RFC 5737) is no machine's address; bind fails before any packet leaves.
        var result = await CliRun.InvokeAsync("connect", "-s", "192.0.2.1", "127.0.0.1", "4444");

        Assert.Equal(3, result.ExitCode);
        Assert.Equal("sockcat: cannot use local address 192.0.2.1: 192.0.2.1 is not an address of this machine (EADDRNOTAVAIL); give one of this machine's addresses (ip addr lists them)\n", result.Error);
    }

    [Fact]
    public async Task Connect_UdpWithSource_TheDatagramComesFromThatAddress()
    {
        using var cts = new CancellationTokenSource(CliRun.TestTimeout);
        using var server = new Socket(AddressFamily.InterNetwork, SocketType.Dgram, ProtocolType.Udp);
        server.Bind(new IPEndPoint(IPAddress.Loopback, 0));
        var port = ((IPEndPoint)server.LocalEndPoint!).Port;
        var receive = server.ReceiveFromAsync(new byte[64], new IPEndPoint(IPAddress.Any, 0), cts.Token);

        var result = await CliRun.InvokeAsync("hi\n"u8.ToArray(), "connect", "-s", "127.0.0.3", "-q", "0", $"udp://127.0.0.1:{port}");
        var received = await receive;

        Assert.Equal(0, result.ExitCode);
        Assert.Equal(IPAddress.Parse("127.0.0.3"), ((IPEndPoint)received.RemoteEndPoint).Address);
    }

    [Theory]
    [InlineData("-4", "tcp://[::1]:4444", "sockcat: -4 uses IPv4 addresses only, and ::1 is an IPv6 address; drop -4, or give an IPv4 address or a host name")]
    [InlineData("-6", "127.0.0.1:4444", "sockcat: -6 uses IPv6 addresses only, and 127.0.0.1 is an IPv4 address; drop -6, or give an IPv6 address or a host name")]
    public async Task Connect_FamilyOptionWithALiteralOfTheOther_IsAUsageErrorInOneLine(string option, string url, string message)
    {
        var result = await CliRun.InvokeAsync("connect", option, url);

        Assert.Equal((2, message + "\n"), (result.ExitCode, result.Error));
    }

    [Theory]
    [InlineData(new[] { "connect", "-4", "-6", "localhost", "4444" }, "sockcat: -4 and -6 exclude each other; give one of them, or neither for both families")]
    [InlineData(new[] { "connect", "localhost", "http" }, "sockcat: 'http' is not a port; give a number from 1 to 65535 (0 to let the system pick one when listening)")]
    [InlineData(new[] { "connect", "tcp://localhost:80", "81" }, "sockcat: 'tcp://localhost:80' is a URL, which names its own port; give the URL alone, or a host and a port as nc takes them: sockcat connect 127.0.0.1 81")]
    [InlineData(new[] { "connect", "-s", "10", "127.0.0.1", "4444" }, "sockcat: --source '10' is not a local address; give an IP address of this machine, optionally with a port: 127.0.0.1, 192.168.1.5:5000 or [::1]:5000")]
    [InlineData(new[] { "connect", "-s", "::1", "127.0.0.1", "4444" }, "sockcat: --source ::1 is an IPv6 address and 127.0.0.1 is not: both ends of a connection have one family; give a source and a destination of the same family")]
    [InlineData(new[] { "connect", "-s", "127.0.0.1", "unix:///tmp/x.sock" }, "sockcat: --source is for tcp, tls and udp, and unix:///tmp/x.sock is a unix socket; leave --source out")]
    public async Task Connect_BadAddressWords_AreUsageErrorsInOneLine(string[] args, string message)
    {
        var result = await CliRun.InvokeAsync(args);

        Assert.Equal((2, message + "\n"), (result.ExitCode, result.Error));
    }

    private static async Task<(string Received, IPEndPoint From)> ServeOnceAsync(TcpListener listener, string reply, CancellationToken cancellationToken)
    {
        using var client = await listener.AcceptSocketAsync(cancellationToken);
        var from = (IPEndPoint)client.RemoteEndPoint!;
        using var stream = new NetworkStream(client);
        await stream.WriteAsync(Encoding.ASCII.GetBytes(reply), cancellationToken);
        client.Shutdown(SocketShutdown.Send);
        var received = new MemoryStream();
        await stream.CopyToAsync(received, cancellationToken);
        return (Encoding.ASCII.GetString(received.ToArray()), from);
    }
}
