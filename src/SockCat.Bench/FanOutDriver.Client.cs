using System.Net.Sockets;

namespace SockCat.Bench;

internal abstract partial class FanOutDriver
{
    /// <summary>One connection: its place among the clients, its line as it goes on the wire, and what it has received.</summary>
    protected sealed class Client(int index, int room, int place, int roomSize, Socket socket, int lineSize, int partialSize)
    {
        public readonly int Index = index;
        public readonly int Room = room;
        public readonly int Place = place; // among its room's members: index / rooms
        public readonly int RoomSize = roomSize;
        public readonly Socket Socket = socket;
        public readonly int Fd = (int)socket.Handle;

        // [the sender's place in the room]: the next seq due from it; one per member of the room.
        public readonly int[] Expected = new int[roomSize];

        // A line as it goes on the wire: after LineAt bytes of the protocol's own, and with CRLF for its LF when Crlf.
        public byte[] Wire = new byte[lineSize];
        public int LineAt;
        public bool Crlf;

        public readonly byte[] Partial = new byte[partialSize];
        public int PartialLength;
        public int InFlight;
        public long NextSeq;
        public bool Queued;
        public bool Joined;
        public bool Discarding; // for a subclass whose server sends lines of its own too long to keep

        /// <summary>Sends each line after <paramref name="prefix"/>, and ending in CRLF when <paramref name="crlf"/>.</summary>
        public void Frame(ReadOnlySpan<byte> prefix, bool crlf)
        {
            var lineSize = Wire.Length - LineAt - (Crlf ? 1 : 0);
            Wire = new byte[prefix.Length + lineSize + (crlf ? 1 : 0)];
            prefix.CopyTo(Wire);
            LineAt = prefix.Length;
            Crlf = crlf;
        }
    }
}
