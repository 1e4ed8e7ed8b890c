using System.Buffers.Binary;
using System.Net;
using System.Net.Sockets;
using System.Text;
using SockCat.Internal.Interop;

namespace SockCat.Bench;

/// <summary>A native sockaddr (sockaddr_in, sockaddr_in6 or sockaddr_un) built once, for bind() and connect().</summary>
internal sealed class SocketAddressBytes
{
    private SocketAddressBytes(int family, byte[] bytes)
    {
        Family = family;
        Bytes = bytes;
    }

    public int Family { get; }

    /// <summary>The sockaddr; its length is the length passed to the kernel.</summary>
    public byte[] Bytes { get; }

    public static SocketAddressBytes FromIp(IPAddress address, int port)
    {
        if (address.AddressFamily == AddressFamily.InterNetwork)
        {
            var b = new byte[16];
            BinaryPrimitives.WriteUInt16LittleEndian(b, LinuxSockets.AF_INET);
            BinaryPrimitives.WriteUInt16BigEndian(b.AsSpan(2), (ushort)port);
            address.TryWriteBytes(b.AsSpan(4, 4), out _);
            return new SocketAddressBytes(LinuxSockets.AF_INET, b);
        }

        var b6 = new byte[28];
        BinaryPrimitives.WriteUInt16LittleEndian(b6, LinuxSockets.AF_INET6);
        BinaryPrimitives.WriteUInt16BigEndian(b6.AsSpan(2), (ushort)port);
        address.TryWriteBytes(b6.AsSpan(8, 16), out _);
        BinaryPrimitives.WriteUInt32LittleEndian(b6.AsSpan(24), (uint)address.ScopeId);
        return new SocketAddressBytes(LinuxSockets.AF_INET6, b6);
    }

    public static SocketAddressBytes FromUnixPath(string path)
    {
        var name = Encoding.UTF8.GetBytes(path);
        if (name.Length > 107)
        {
            throw new ArgumentException($"the unix socket path is {name.Length} bytes; the limit is 107", nameof(path));
        }

        var b = new byte[2 + name.Length + 1];
        BinaryPrimitives.WriteUInt16LittleEndian(b, LinuxSockets.AF_UNIX);
        name.CopyTo(b, 2);
        return new SocketAddressBytes(LinuxSockets.AF_UNIX, b);
    }
}
