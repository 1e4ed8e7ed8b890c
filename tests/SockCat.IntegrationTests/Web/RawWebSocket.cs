using System.Buffers.Binary;
using System.Net;
using System.Net.Sockets;
using System.Security.Cryptography;
using System.Text;

namespace SockCat.IntegrationTests.Web;

/// <summary>
/// A WebSocket client written on a plain socket, frame by frame, so a test can send what no WebSocket library would:
/// unmasked frames, invalid UTF-8, a message over a limit, an Origin of its choosing, and ignore pings.
/// </summary>
internal sealed class RawWebSocket : IAsyncDisposable
{
    private readonly Socket _socket;
    private NetworkStream _stream = null!;

    private RawWebSocket(Socket socket) => _socket = socket;

    /// <summary>The status line and headers of the server's answer to the upgrade.</summary>
    public string Response { get; private set; } = "";

    public bool Upgraded => Response.StartsWith("HTTP/1.1 101", StringComparison.Ordinal);

    /// <summary>Connects and sends the upgrade request; <see cref="Response"/> holds the answer (and its body when refused).</summary>
    public static async Task<RawWebSocket> ConnectAsync(int port, string path = "/", string? origin = null)
    {
        var socket = new Socket(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp);
        var ws = new RawWebSocket(socket);
        try
        {
            await socket.ConnectAsync(new IPEndPoint(IPAddress.Loopback, port));
        }
        catch (SocketException e) when (e.SocketErrorCode == SocketError.ConnectionReset)
        {
            // Accepted and reset at once: a peer refused at the door. Response stays empty.
            socket.Dispose();
            return ws;
        }

        ws._stream = new NetworkStream(socket, ownsSocket: true);

        var key = Convert.ToBase64String(RandomNumberGenerator.GetBytes(16));
        var request = $"GET {path} HTTP/1.1\r\nHost: 127.0.0.1:{port}\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n" +
                      $"Sec-WebSocket-Key: {key}\r\nSec-WebSocket-Version: 13\r\n" + (origin is null ? "" : $"Origin: {origin}\r\n") + "\r\n";
        try
        {
            await ws._stream.WriteAsync(Encoding.ASCII.GetBytes(request));
        }
        catch (Exception e) when (e is IOException or SocketException)
        {
            // Reset before the request could be written: a peer refused at the door. Response stays empty.
            return ws;
        }

        ws.Response = await ws.ReadHeadAsync();
        return ws;
    }

    private async Task<string> ReadHeadAsync()
    {
        var head = new StringBuilder();
        var one = new byte[1];
        try
        {
            while (!head.ToString().EndsWith("\r\n\r\n", StringComparison.Ordinal))
            {
                if (await _stream.ReadAsync(one) == 0)
                {
                    break;
                }

                head.Append((char)one[0]);
            }
        }
        catch (Exception e) when (e is IOException or SocketException)
        {
            // Reset before any answer: a peer refused at the door.
        }

        return head.ToString();
    }

    /// <summary>Reads what follows a refusal's head until the server closes: its body.</summary>
    public async Task<string> ReadToEndAsync()
    {
        using var reader = new StreamReader(_stream, Encoding.UTF8, leaveOpen: true);
        return await reader.ReadToEndAsync();
    }

    /// <summary>Sends one frame: <paramref name="opcode"/> 1 text, 2 binary, 0 continuation, 8 close, 10 pong.</summary>
    public async Task SendFrameAsync(int opcode, ReadOnlyMemory<byte> payload, bool fin = true, bool masked = true)
    {
        var frame = new List<byte> { (byte)((fin ? 0x80 : 0) | opcode) };
        var maskBit = masked ? 0x80 : 0;
        if (payload.Length < 126)
        {
            frame.Add((byte)(maskBit | payload.Length));
        }
        else if (payload.Length <= ushort.MaxValue)
        {
            frame.Add((byte)(maskBit | 126));
            frame.Add((byte)(payload.Length >> 8));
            frame.Add((byte)payload.Length);
        }
        else
        {
            frame.Add((byte)(maskBit | 127));
            var length = new byte[8];
            BinaryPrimitives.WriteUInt64BigEndian(length, (ulong)payload.Length);
            frame.AddRange(length);
        }

        var data = payload.ToArray();
        if (masked)
        {
            var mask = RandomNumberGenerator.GetBytes(4);
            frame.AddRange(mask);
            for (var i = 0; i < data.Length; i++)
            {
                data[i] ^= mask[i % 4];
            }
        }

        frame.AddRange(data);
        await _stream.WriteAsync(frame.ToArray());
    }

    /// <summary>Reads one frame; null when the server closed the connection first.</summary>
    public async Task<(int Opcode, byte[] Payload)?> ReadFrameAsync()
    {
        var head = new byte[2];
        if (!await ReadExactlyOrEndAsync(head))
        {
            return null;
        }

        long length = head[1] & 0x7F;
        if (length == 126)
        {
            var extended = new byte[2];
            await _stream.ReadExactlyAsync(extended);
            length = BinaryPrimitives.ReadUInt16BigEndian(extended);
        }
        else if (length == 127)
        {
            var extended = new byte[8];
            await _stream.ReadExactlyAsync(extended);
            length = (long)BinaryPrimitives.ReadUInt64BigEndian(extended);
        }

        var payload = new byte[length];
        await _stream.ReadExactlyAsync(payload);
        return (head[0] & 0x0F, payload);
    }

    /// <summary>Reads frames (ignoring pings and data) until a close frame: its status code, or null if the connection ended first.</summary>
    public async Task<int?> ReadCloseCodeAsync()
    {
        while (await ReadFrameAsync() is { } frame)
        {
            if (frame.Opcode == 8)
            {
                return frame.Payload.Length >= 2 ? BinaryPrimitives.ReadUInt16BigEndian(frame.Payload) : 1005;
            }
        }

        return null;
    }

    /// <summary>Reads and drops everything until the server closes the connection (end of stream or reset).</summary>
    public async Task ReadUntilClosedAsync()
    {
        var buffer = new byte[4096];
        try
        {
            while (await _stream.ReadAsync(buffer) > 0)
            {
            }
        }
        catch (IOException)
        {
        }
    }

    private async Task<bool> ReadExactlyOrEndAsync(byte[] buffer)
    {
        try
        {
            return await _stream.ReadAtLeastAsync(buffer, buffer.Length, throwOnEndOfStream: false) == buffer.Length;
        }
        catch (IOException)
        {
            return false;
        }
    }

    public async ValueTask DisposeAsync()
    {
        if (_stream is null)
        {
            _socket.Dispose();
            return;
        }

        await _stream.DisposeAsync();
    }
}
