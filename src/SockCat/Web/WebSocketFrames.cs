using System.Buffers.Binary;
using System.Net.WebSockets;

namespace SockCat.Web;

/// <summary>
/// A server's WebSocket frame headers (RFC 6455 5.2), bytes out: one final, unmasked frame per message, as a server sends
/// them. Sans-IO: it writes into the caller's buffer and knows nothing of where the bytes go.
/// </summary>
internal static class WebSocketFrames
{
    /// <summary>The longest header: 2 bytes, then a 64-bit length.</summary>
    public const int MaxHeaderLength = 10;

    /// <summary>Writes the header of a final frame of <paramref name="type"/> carrying <paramref name="payloadLength"/> bytes; returns its length.</summary>
    public static int WriteHeader(Span<byte> destination, WebSocketMessageType type, int payloadLength)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(payloadLength);
        destination[0] = (byte)(0x80 | (type == WebSocketMessageType.Binary ? 0x2 : 0x1));   // FIN, opcode
        if (payloadLength < 126)
        {
            destination[1] = (byte)payloadLength;
            return 2;
        }

        if (payloadLength <= ushort.MaxValue)
        {
            destination[1] = 126;
            BinaryPrimitives.WriteUInt16BigEndian(destination[2..], (ushort)payloadLength);
            return 4;
        }

        destination[1] = 127;
        BinaryPrimitives.WriteUInt64BigEndian(destination[2..], (ulong)payloadLength);
        return 10;
    }
}
