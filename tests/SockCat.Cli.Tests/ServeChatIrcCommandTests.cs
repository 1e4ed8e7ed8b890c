using System.Net;
using System.Net.Sockets;
using System.Text;
using System.Text.RegularExpressions;

namespace SockCat.Cli.Tests;

/// <summary><c>serve chat</c>'s IRC flags: <c>--protocol</c>, <c>irc://</c> listeners.</summary>
public sealed class ServeChatIrcCommandTests
{
    [Fact]
    public async Task ServeChat_ProtocolNotKnown_OneLineUsageError()
    {
        var result = await CliRun.InvokeAsync("serve", "chat", "--protocol", "xmpp", "tcp://127.0.0.1:0");

        Assert.Equal(ExitCodes.Usage, result.ExitCode);
        Assert.Single(result.Error.TrimEnd('\n').Split('\n'));
        Assert.Contains("--protocol", result.Error);
    }

    [Fact]
    public async Task ServeChat_ProtocolIrc_AFirstLineNoSnifferKnows_IsIrc()
    {
        using var stop = new CancellationTokenSource();
        var (run, error) = CliRun.Start(new MemoryStream(), stop.Token, "serve", "chat", "--quiet", "--protocol", "irc", "tcp://127.0.0.1:0");
        var ports = await ListeningPortsAsync(error, run, 1);

        using var client = await ConnectAsync(ports[0]);
        await client.SendAsync("PING :first\r\nNICK alice\r\nUSER a 0 * :A\r\n"u8.ToArray());
        Assert.Equal(":sockcat PONG sockcat :first", await ReadLineAsync(client));
        Assert.StartsWith(":sockcat 001 alice ", await ReadLineAsync(client));

        stop.Cancel();
        Assert.Equal(ExitCodes.Success, (await run).ExitCode);
    }

    [Fact]
    public async Task ServeChat_IrcListenerBesideAutoOne_EachSpeaksItsOwn_OneHub()
    {
        using var stop = new CancellationTokenSource();
        var (run, error) = CliRun.Start(new MemoryStream(), stop.Token, "serve", "chat", "--quiet", "tcp://127.0.0.1:0", "irc://127.0.0.1:0");
        var ports = await ListeningPortsAsync(error, run, 2);

        // The same first line: the auto listener takes it for the line protocol, the irc:// one for IRC.
        using var line = await ConnectAsync(ports[0]);
        using var irc = await ConnectAsync(ports[1]);
        await irc.SendAsync("PING :x\r\n"u8.ToArray());
        Assert.Equal(":sockcat PONG sockcat :x", await ReadLineAsync(irc));
        await line.SendAsync("/nick bob\n/join lobby\n"u8.ToArray());
        await ReadUntilAsync(line, "it is your current room");

        await irc.SendAsync("NICK alice\r\nUSER a 0 * :A\r\nJOIN #lobby\r\nPRIVMSG #lobby :hi bob\r\n"u8.ToArray());
        Assert.Equal("[#lobby] <alice> hi bob", await ReadUntilAsync(line, "hi bob"));

        stop.Cancel();
        Assert.Equal(ExitCodes.Success, (await run).ExitCode);
    }

    private static async Task<int[]> ListeningPortsAsync(SyncWriter error, Task running, int count)
    {
        using var deadline = new CancellationTokenSource(CliRun.TestTimeout);
        while (!running.IsCompleted)
        {
            var ports = Regex.Matches(error.Text, @"listening on tcp://127\.0\.0\.1:(\d+)\n").Select(m => int.Parse(m.Groups[1].Value)).ToArray();
            if (ports.Length == count)
            {
                return ports;
            }

            // The server writes its lines when it is ready: looked at again shortly.
            await Task.Delay(20, deadline.Token);
        }

        throw new InvalidOperationException($"serve chat never announced {count} ports; stderr: {error.Text}");
    }

    private static async Task<Socket> ConnectAsync(int port)
    {
        var socket = new Socket(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp);
        await socket.ConnectAsync(new IPEndPoint(IPAddress.Loopback, port));
        return socket;
    }

    private static async Task<string> ReadUntilAsync(Socket socket, string text)
    {
        while (true)
        {
            var line = await ReadLineAsync(socket);
            if (line.Contains(text, StringComparison.Ordinal))
            {
                return line;
            }
        }
    }

    // One byte at a time: nothing past the line is taken from the socket.
    private static async Task<string> ReadLineAsync(Socket socket)
    {
        using var deadline = new CancellationTokenSource(CliRun.TestTimeout);
        var line = new List<byte>();
        var one = new byte[1];
        while (true)
        {
            if (await socket.ReceiveAsync(one, deadline.Token) == 0)
            {
                throw new EndOfStreamException($"closed after: {Encoding.UTF8.GetString([.. line])}");
            }

            if (one[0] == '\n')
            {
                return Encoding.UTF8.GetString([.. line]).TrimEnd('\r');
            }

            line.Add(one[0]);
        }
    }
}
