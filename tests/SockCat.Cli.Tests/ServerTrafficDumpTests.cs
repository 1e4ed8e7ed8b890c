using System.Net;
using System.Net.Sockets;
using System.Text;
using System.Text.RegularExpressions;

namespace SockCat.Cli.Tests;

/// <summary>
/// `--hexdump` and `--log-traffic` on the server side (relay, serve): every connection's bytes both ways, each block naming
/// the peer and the connection, with that connection's own offsets, on the epoll loop and on Kestrel; bounded in a file.
/// </summary>
public sealed class ServerTrafficDumpTests
{
    [Theory]
    [InlineData("epoll")]
    [InlineData("kestrel")]
    [InlineData("kestrel-epoll")] // Kestrel over the epoll loop: dumped once, by Kestrel's side, not by the loop under it too
    public async Task ServeEcho_HexdumpToFile_BothDirectionsInOrder_NamingThePeerAndConnection(string transport)
    {
        using var file = new TempFile();
        await using var server = await Server.StartAsync(["serve", "echo", "tcp://127.0.0.1:0", "--transport", transport, "--hexdump", file.Path]);

        string peer;
        using (var client = await ConnectAsync(server.Port))
        {
            peer = client.LocalEndPoint!.ToString()!;
            Assert.Equal("ping\n", await ExchangeAsync(client, "ping\n"));
            Assert.Equal("second\n", await ExchangeAsync(client, "second\n"));
        }

        await server.StopAsync();
        var blocks = Blocks(await File.ReadAllTextAsync(file.Path));
        Assert.Equal(4, blocks.Count);
        var id = blocks[0].Connection;
        Assert.All(blocks, b => Assert.Equal((peer, id), (b.Peer, b.Connection)));
        Assert.Equal(
            [("received from", 5, 0L, "ping."), ("sent to", 5, 0L, "ping."), ("received from", 7, 5L, "second."), ("sent to", 7, 5L, "second.")],
            blocks.Select(b => (b.Direction, b.Length, b.Offset, b.Ascii)));
        Assert.All(blocks, b => Assert.Equal(b.Direction == "sent to" ? '>' : '<', b.Arrow));
    }

    [Theory]
    [InlineData("epoll")]
    [InlineData("kestrel")]
    [InlineData("epoll", "--splice")] // splice(2) would move the bytes past the dump: with a dump the relay copies them
    public async Task Relay_HexdumpToFile_ClientsRequestAndTargetsAnswer_OnTheClientsConnection(string transport, string? more = null)
    {
        using var target = new Socket(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp);
        target.Bind(new IPEndPoint(IPAddress.Loopback, 0));
        target.Listen();
        var serving = Task.Run(async () =>
        {
            using var peer = await target.AcceptAsync();
            var buffer = new byte[16];
            var n = await peer.ReceiveAsync(buffer);
            Assert.Equal("ping\n", Encoding.ASCII.GetString(buffer, 0, n));
            await peer.SendAsync("pong!\n"u8.ToArray());
        });
        using var file = new TempFile();
        await using var relay = await Server.StartAsync(
            ["relay", "tcp://127.0.0.1:0", $"tcp://127.0.0.1:{((IPEndPoint)target.LocalEndPoint!).Port}", "--transport", transport, "--hexdump", file.Path,
                .. more is null ? Array.Empty<string>() : [more]]);

        string peerName;
        using (var client = await ConnectAsync(relay.Port))
        {
            peerName = client.LocalEndPoint!.ToString()!;
            Assert.Equal("pong!\n", await ExchangeAsync(client, "ping\n"));
            await serving.WaitAsync(CliRun.TestTimeout);
        }

        await relay.StopAsync();
        var blocks = Blocks(await File.ReadAllTextAsync(file.Path));
        Assert.Equal(
            [("received from", peerName, 5, 0L, "ping."), ("sent to", peerName, 6, 0L, "pong!.")],
            blocks.Select(b => (b.Direction, b.Peer, b.Length, b.Offset, b.Ascii)));
    }

    [Fact]
    public async Task ServeEcho_LogTrafficToStderr_TextBlocksNameThePeer()
    {
        await using var server = await Server.StartAsync(["serve", "echo", "tcp://127.0.0.1:0", "--log-traffic"]);
        using (var client = await ConnectAsync(server.Port))
        {
            Assert.Equal("a\tb\r\n", await ExchangeAsync(client, "a\tb\r\n"));
        }

        var result = await server.StopAsync();
        Assert.Matches(@"< \S+ \S+ received from 127\.0\.0\.1:\d+ \(connection \d+\): 5 bytes at offset 0\na\\tb\\r\\n\n", result.Error);
        Assert.Matches(@"> \S+ \S+ sent to 127\.0\.0\.1:\d+ \(connection \d+\): 5 bytes at offset 0\na\\tb\\r\\n\n", result.Error);
    }

    [Fact]
    public async Task ServeEcho_HexdumpFileOverDumpMax_StopsWithOneLine_EchoGoesOn()
    {
        using var file = new TempFile();
        await using var server = await Server.StartAsync(["serve", "echo", "tcp://127.0.0.1:0", "--hexdump", file.Path, "--dump-max", "1000"]);

        using (var client = await ConnectAsync(server.Port))
        {
            for (var i = 0; i < 20; i++)
            {
                var line = $"line {i:00} of a conversation longer than the dump may hold\n";
                Assert.Equal(line, await ExchangeAsync(client, line));
            }
        }

        await server.StopAsync();
        var text = await File.ReadAllTextAsync(file.Path);
        var stop = text.Split('\n', StringSplitOptions.RemoveEmptyEntries)[^1];
        Assert.Matches(@"^-- traffic dump stopped after \d+ characters, its limit; connections go on undumped$", stop);
        Assert.True(text.Length - stop.Length - 1 <= 1000, $"{text.Length - stop.Length - 1} characters of blocks");
        Assert.Single(Regex.Matches(text, "traffic dump stopped"));
        Assert.NotEmpty(Blocks(text));
    }

    private static async Task<Socket> ConnectAsync(int port)
    {
        var socket = new Socket(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp);
        await socket.ConnectAsync(new IPEndPoint(IPAddress.Loopback, port)).WaitAsync(CliRun.TestTimeout);
        return socket;
    }

    private static async Task<string> ExchangeAsync(Socket socket, string text)
    {
        var bytes = Encoding.ASCII.GetBytes(text);
        await socket.SendAsync(bytes);
        var received = new List<byte>();
        var buffer = new byte[4096];
        while (received.Count < bytes.Length)
        {
            var n = await socket.ReceiveAsync(buffer).WaitAsync(CliRun.TestTimeout);
            if (n == 0)
            {
                break;
            }

            received.AddRange(buffer.AsSpan(0, n));
        }

        return Encoding.ASCII.GetString([.. received]);
    }

    private sealed record Block(char Arrow, string Direction, string Peer, long Connection, int Length, long Offset, string Ascii);

    private static List<Block> Blocks(string dump)
    {
        var blocks = new List<Block>();
        var header = new Regex(@"^([<>]) \d{4}-\d\d-\d\d \d\d:\d\d:\d\d\.\d{6} (sent to|received from) (\S+) \(connection (\d+)\): (\d+) bytes at offset (\d+)$");
        foreach (var line in dump.Split('\n'))
        {
            if (header.Match(line) is { Success: true } m)
            {
                blocks.Add(new Block(m.Groups[1].Value[0], m.Groups[2].Value, m.Groups[3].Value, long.Parse(m.Groups[4].Value),
                    int.Parse(m.Groups[5].Value), long.Parse(m.Groups[6].Value), ""));
            }
            else if (blocks.Count > 0 && Regex.IsMatch(line, @"^[0-9a-f]{8} .*\|$"))
            {
                // The hex columns hold no '|': the first one opens the ASCII column.
                blocks[^1] = blocks[^1] with { Ascii = blocks[^1].Ascii + line[(line.IndexOf('|') + 1)..^1] };
            }
        }

        return blocks;
    }

    private sealed class TempFile : IDisposable
    {
        public string Path { get; } = System.IO.Path.Combine(System.IO.Path.GetTempPath(), $"sockcat-serverdump-{Guid.NewGuid():N}.txt");

        public void Dispose() => File.Delete(Path);
    }

    /// <summary>A serve verb or relay run in process until stopped, as Ctrl+C stops it.</summary>
    private sealed class Server : IAsyncDisposable
    {
        private readonly CancellationTokenSource _stop = new();
        private Task<CliResult>? _run;

        public int Port { get; private set; }

        public static async Task<Server> StartAsync(string[] args)
        {
            var server = new Server();
            var (run, error) = CliRun.Start(new MemoryStream(), server._stop.Token, [.. args, "--drain", "0"]);
            server._run = run;
            server.Port = await CliRun.WaitForListeningPortAsync(error, run);
            return server;
        }

        public async Task<CliResult> StopAsync()
        {
            await _stop.CancelAsync();
            var result = await _run!.WaitAsync(CliRun.TestTimeout);
            Assert.Equal(ExitCodes.Success, result.ExitCode);
            return result;
        }

        public async ValueTask DisposeAsync()
        {
            if (!_stop.IsCancellationRequested)
            {
                await _stop.CancelAsync();
                await _run!.WaitAsync(CliRun.TestTimeout).ContinueWith(_ => { });
            }

            _stop.Dispose();
        }
    }
}
