using System.Net;
using System.Net.Sockets;
using System.Net.WebSockets;
using System.Security.Cryptography;
using System.Text;
using static SockCat.Cli.Tests.Exec.ExecServer;

namespace SockCat.Cli.Tests.Exec;

/// <summary>
/// `serve exec`'s output over WebSocket, on both transports: on the epoll loop the program's pipe is read on the
/// WebSocket's connection thread and each line written there as a frame; on Kestrel's sockets the session's pump
/// sends it. Either way every line arrives, in order, one message each; a reader that stalls holds the program back
/// through its pipe; the close frame, after the last line, says how the program ended.
/// </summary>
[System.Runtime.Versioning.UnsupportedOSPlatform("windows")]
public sealed class ServeExecWebSocketOutputTests
{
    public static TheoryData<string> Transports => ["epoll", "kestrel"];

    [Theory]
    [MemberData(nameof(Transports))]
    public async Task StalledReader_HoldsTheProgramBack_ThenEveryLineInOrder_ThenCloseWithTheExit(string transport)
    {
        // 512 writes of 64 lines (1 KiB each, numbered): 32 MiB, the program counting its writes in a file as each
        // returns. The client reads nothing at first: the count must stop well short (the pipe is not read while the
        // connection's output is over its bound), and every line must arrive, in order, once it reads.
        var count = Path.Combine(Directory.CreateTempSubdirectory("sockcat-exec-").FullName, "count");
        var script = NumberedBlocksProgram(count, tail: "");
        await using var server = await StartOnAsync("ws://127.0.0.1:0/", ["--transport", transport], script);
        using var socket = await ConnectWebSocketAsync(server.Port);
        using var ws = WebSocket.CreateFromStream(new NetworkStream(socket, ownsSocket: false), new WebSocketCreationOptions { IsServer = false });
        long Written() => long.TryParse(File.Exists(count) ? File.ReadAllText(count) : "0", out var n) ? n : 0;

        await SockCat.Testing.Settling.WaitUntilStableAsync(Written, "the program to be held back");

        Assert.InRange(Written(), 1, 511);
        var buffer = new byte[64 * 1024];
        var lines = 0;
        using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(60));
        while (true)
        {
            var message = new MemoryStream();
            WebSocketReceiveResult result;
            do
            {
                result = await ws.ReceiveAsync(buffer, timeout.Token);
                message.Write(buffer, 0, result.Count);
            }
            while (!result.EndOfMessage);

            if (result.MessageType == WebSocketMessageType.Close)
            {
                break;
            }

            var text = Encoding.UTF8.GetString(message.ToArray());
            Assert.Equal(WebSocketMessageType.Text, result.MessageType);
            Assert.Equal($"{lines:D8}{new string('x', 1015)}", text);
            lines++;
        }

        Assert.Equal(512 * 64, lines);
        Assert.Equal(WebSocketCloseStatus.NormalClosure, ws.CloseStatus);
        Assert.Equal("the program exited with code 3", ws.CloseStatusDescription);
        Assert.Equal(512, Written());
        Assert.DoesNotContain("slow consumer", server.Error.Text + server.Log.Text, StringComparison.Ordinal);
    }

    [Theory]
    [MemberData(nameof(Transports))]
    public async Task LinesWithPauses_EachArrivesBeforeTheNextIsPrinted_LastLineWithoutNewline_ThenClose(string transport)
    {
        // Each line waits for the test to have seen the last one: a line held anywhere (a splitter, a queue) deadlocks
        // the program and the test times out. The last has no newline: it comes when the pipe ends, before the close.
        var dir = Directory.CreateTempSubdirectory("sockcat-exec-").FullName;
        var script = Script($$"""
            #!/bin/sh
            for i in 1 2 3; do
              echo "line $i"
              while [ ! -e "{{dir}}/seen-$i" ]; do sleep 0.02; done
            done
            printf "no newline"
            exit 7
            """);
        await using var server = await StartOnAsync("ws://127.0.0.1:0/", ["--transport", transport], script);
        using var ws = new ClientWebSocket();
        await ws.ConnectAsync(new Uri($"ws://127.0.0.1:{server.Port}/"), CancellationToken.None);
        for (var i = 1; i <= 3; i++)
        {
            Assert.Equal($"line {i}", await ReceiveTextAsync(ws));
            File.WriteAllText($"{dir}/seen-{i}", "");
        }

        Assert.Equal("no newline", await ReceiveTextAsync(ws));
        Assert.Null(await ReceiveTextAsync(ws));
        Assert.Equal("the program exited with code 7", ws.CloseStatusDescription);
    }

    [Theory]
    [MemberData(nameof(Transports))]
    public async Task Events_StalledReader_HoldsTheProgramBack_ThenEveryLineInOrder_LastWithoutNewline_ThenExit(string transport)
    {
        // As the WebSocket's: 32 MiB of numbered lines to an event stream whose reader reads nothing at first, then all.
        var count = Path.Combine(Directory.CreateTempSubdirectory("sockcat-exec-").FullName, "count");
        var script = NumberedBlocksProgram(count, tail: "no newline");
        await using var server = await StartOnAsync("http://127.0.0.1:0/", ["--transport", transport], script);
        using var socket = new Socket(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp) { ReceiveBufferSize = 64 * 1024 };
        await socket.ConnectAsync(new IPEndPoint(IPAddress.Loopback, server.Port));
        await socket.SendAsync("GET /events HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n"u8.ToArray());
        long Written() => long.TryParse(File.Exists(count) ? File.ReadAllText(count) : "0", out var n) ? n : 0;

        await SockCat.Testing.Settling.WaitUntilStableAsync(Written, "the program to be held back");

        Assert.InRange(Written(), 1, 511);
        var events = new List<string>();
        using var reader = new StreamReader(new NetworkStream(socket, ownsSocket: false), Encoding.ASCII);
        using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(60));
        while ((await reader.ReadLineAsync(timeout.Token))!.Length > 0)
        {
        }

        // The body in HTTP/1.1 chunks, which cut events anywhere: joined, then split at the blank line that ends each.
        var body = new StringBuilder();
        while (true)
        {
            var size = Convert.ToInt32((await reader.ReadLineAsync(timeout.Token))!, 16);
            if (size == 0)
            {
                break;
            }

            var chunk = new char[size];
            Assert.Equal(size, await reader.ReadBlockAsync(chunk, timeout.Token));
            Assert.Equal("", await reader.ReadLineAsync(timeout.Token));
            body.Append(chunk);
            var text = body.ToString();
            var end = text.LastIndexOf("\n\n", StringComparison.Ordinal);
            if (end >= 0)
            {
                events.AddRange(text[..end].Split("\n\n"));
                body.Clear().Append(text[(end + 2)..]);
            }
        }

        events.RemoveAll(e => e.StartsWith(':'));   // keep-alive comments
        Assert.Equal(512 * 64 + 3, events.Count);
        for (var i = 0; i < 512 * 64; i++)
        {
            Assert.Equal($"event: stdout\nid: {i}\ndata: {i:D8}{new string('x', 1015)}", events[i]);
        }

        Assert.Equal($"event: stdout\nid: {512 * 64}\ndata: no newline", events[^3]);
        Assert.Equal($"event: exit\nid: {512 * 64 + 1}\ndata: exited with code 3", events[^2]);
        Assert.Equal("retry: 86400000", events[^1]);
        Assert.Equal(512, Written());
    }

    private static async Task<string?> ReceiveTextAsync(WebSocket ws)
    {
        using var timeout = new CancellationTokenSource(CliRun.TestTimeout);
        var buffer = new byte[4096];
        var message = new MemoryStream();
        WebSocketReceiveResult result;
        do
        {
            result = await ws.ReceiveAsync(buffer, timeout.Token);
            message.Write(buffer, 0, result.Count);
        }
        while (!result.EndOfMessage);

        return result.MessageType == WebSocketMessageType.Close ? null : Encoding.UTF8.GetString(message.ToArray());
    }

    /// <summary>
    /// A socket with a fixed 64 KiB receive buffer (so loopback's autotuning does not take the whole output into the
    /// kernel), upgraded to a WebSocket by hand.
    /// </summary>
    private static async Task<Socket> ConnectWebSocketAsync(int port)
    {
        var socket = new Socket(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp) { ReceiveBufferSize = 64 * 1024 };
        await socket.ConnectAsync(new IPEndPoint(IPAddress.Loopback, port));
        var key = Convert.ToBase64String(RandomNumberGenerator.GetBytes(16));
        await socket.SendAsync(Encoding.ASCII.GetBytes(
            $"GET / HTTP/1.1\r\nHost: 127.0.0.1:{port}\r\nUpgrade: websocket\r\nConnection: Upgrade\r\nSec-WebSocket-Key: {key}\r\nSec-WebSocket-Version: 13\r\n\r\n"));
        var head = new StringBuilder();
        var one = new byte[1];
        using var timeout = new CancellationTokenSource(CliRun.TestTimeout);
        while (!head.ToString().EndsWith("\r\n\r\n", StringComparison.Ordinal))
        {
            Assert.Equal(1, await socket.ReceiveAsync(one, timeout.Token));
            head.Append((char)one[0]);
        }

        Assert.StartsWith("HTTP/1.1 101", head.ToString(), StringComparison.Ordinal);
        return socket;
    }

    /// <summary>
    /// A program writing 512 blocks of 64 numbered 1 KiB lines (32 MiB), counting its writes in <paramref name="count"/> as
    /// each returns, then <paramref name="tail"/> (no newline) and exit code 3.
    /// </summary>
    private static string NumberedBlocksProgram(string count, string tail) => Script($$"""
        #!/usr/bin/python3
        import os, sys
        n = 0
        for i in range(512):
            block = "".join("%08d%s\n" % (n + j, "x" * 1015) for j in range(64)).encode()
            n += 64
            os.write(1, block)
            with open("{{count}}", "w") as f:
                f.write(str(i + 1))
        os.write(1, b"{{tail}}")
        sys.exit(3)
        """);
}
