using System.Net;
using System.Net.Sockets;
using System.Text.Json;
using SockCat.Testing;

namespace SockCat.Cli.Tests;

/// <summary>`sockcat probe` and `connect -z` against real loopback ports: open, closed, filtered, tcp and udp.</summary>
public sealed class ProbeCommandTests
{
    [Fact]
    public async Task Probe_ListAndRange_OneLinePerPortInOrder_ExitsOneUnlessAllOpen()
    {
        using var open = Listening();
        var openPort = Port(open);
        var closed = LoopbackPorts.Unused();

        var result = await CliRun.InvokeAsync(["probe", "127.0.0.1", $"{closed},{openPort}-{openPort}"]);

        Assert.Equal(ExitCodes.Failure, result.ExitCode);
        Assert.Equal(
            $"tcp://127.0.0.1:{closed} closed: connection refused (ECONNREFUSED)\ntcp://127.0.0.1:{openPort} open: connected\n",
            result.Output);
        Assert.Equal("sockcat: 2 ports probed on 127.0.0.1: 1 open\n", result.Error);
    }

    [Fact]
    public async Task Probe_AllOpen_ExitsZero()
    {
        using var first = Listening();
        using var second = Listening();

        var result = await CliRun.InvokeAsync(["probe", "localhost", $"{Port(first)},{Port(second)}"]);

        Assert.Equal(ExitCodes.Success, result.ExitCode);
        Assert.Equal(2, result.Output.Split('\n', StringSplitOptions.RemoveEmptyEntries).Count(l => l.EndsWith(" open: connected", StringComparison.Ordinal)));
    }

    /// <summary>
    /// A listener that never accepts, with its queue full: the kernel drops further SYNs, as a firewall that drops
    /// does, so the probe sees no answer and says filtered.
    /// </summary>
    [Fact]
    public async Task Probe_NoAnswerWithinTimeout_IsFiltered()
    {
        using var full = new Socket(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp);
        full.Bind(new IPEndPoint(IPAddress.Loopback, 0));
        full.Listen(0);
        var fillers = new List<Socket>();
        try
        {
            for (var i = 0; i < 3; i++)
            {
                var filler = new Socket(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp) { Blocking = false };
                fillers.Add(filler);
                try
                {
                    filler.Connect(full.LocalEndPoint!);
                }
                catch (SocketException e) when (e.SocketErrorCode is SocketError.WouldBlock or SocketError.InProgress)
                {
                }
            }

            var result = await CliRun.InvokeAsync(["probe", "127.0.0.1", Port(full).ToString(), "--timeout", "0.5"]);

            Assert.Equal(ExitCodes.Failure, result.ExitCode);
            Assert.Equal($"tcp://127.0.0.1:{Port(full)} filtered: no answer in 500 ms\n", result.Output);
        }
        finally
        {
            fillers.ForEach(f => f.Dispose());
        }
    }

    [Fact]
    public async Task Probe_Udp_AnsweringPortIsOpen_RefusingPortIsClosed()
    {
        using var echo = new Socket(AddressFamily.InterNetwork, SocketType.Dgram, ProtocolType.Udp);
        echo.Bind(new IPEndPoint(IPAddress.Loopback, 0));
        var answering = Task.Run(() =>
        {
            var buffer = new byte[16];
            EndPoint from = new IPEndPoint(IPAddress.Any, 0);
            var n = echo.ReceiveFrom(buffer, ref from);
            echo.SendTo(buffer.AsSpan(0, n).ToArray().Append((byte)'!').ToArray(), from);
        });
        var closed = LoopbackPorts.Unused(SocketType.Dgram);

        var result = await CliRun.InvokeAsync(["probe", "-u", "127.0.0.1", $"{Port(echo)},{closed}", "--json"]);

        await answering.WaitAsync(CliRun.TestTimeout);
        Assert.Equal(ExitCodes.Failure, result.ExitCode);
        using var json = JsonDocument.Parse(result.Output);
        var ports = json.RootElement.GetProperty("ports").EnumerateArray().ToList();
        Assert.Equal("udp", json.RootElement.GetProperty("protocol").GetString());
        Assert.Equal((Port(echo), "open"), (ports[0].GetProperty("port").GetInt32(), ports[0].GetProperty("state").GetString()));
        Assert.Equal((closed, "closed"), (ports[1].GetProperty("port").GetInt32(), ports[1].GetProperty("state").GetString()));
        Assert.Equal(1, json.RootElement.GetProperty("open").GetInt32());
    }

    [Theory]
    [InlineData("5-3", "sockcat: '5-3' in '5-3' runs backwards; write the lower port first (3-5)\n")]
    [InlineData("80,http", "sockcat: 'http' in '80,http' is not a port or range; give ports from 1 to 65535 as 80, 20-25 or 22,80,443\n")]
    [InlineData("0", "sockcat: '0' in '0' is not a port or range; give ports from 1 to 65535 as 80, 20-25 or 22,80,443\n")]
    public async Task Probe_BadPorts_OneLineUsageError(string ports, string expected)
    {
        var result = await CliRun.InvokeAsync(["probe", "127.0.0.1", ports]);

        Assert.Equal(ExitCodes.Usage, result.ExitCode);
        Assert.Equal(expected, result.Error);
        Assert.Empty(result.Output);
    }

    [Fact]
    public async Task ConnectZ_AsNcTakesIt_SilentUnlessVerbose_ExitCodeSaysOpen()
    {
        using var open = Listening();
        var closed = LoopbackPorts.Unused();

        var quiet = await CliRun.InvokeAsync(["connect", "-z", "127.0.0.1", Port(open).ToString()]);
        var refused = await CliRun.InvokeAsync(["connect", "-z", $"tcp://127.0.0.1:{closed}"]);
        var verbose = await CliRun.InvokeAsync(["connect", "-zv", "127.0.0.1", Port(open).ToString()]);

        Assert.Equal((ExitCodes.Success, "", ""), (quiet.ExitCode, quiet.Output, quiet.Error));
        Assert.Equal((ExitCodes.Failure, "", ""), (refused.ExitCode, refused.Output, refused.Error));
        Assert.Equal($"tcp://127.0.0.1:{Port(open)} open: connected\n", verbose.Output);
    }

    private static Socket Listening()
    {
        var socket = new Socket(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp);
        socket.Bind(new IPEndPoint(IPAddress.Loopback, 0));
        socket.Listen();
        return socket;
    }

    private static int Port(Socket socket) => ((IPEndPoint)socket.LocalEndPoint!).Port;
}
