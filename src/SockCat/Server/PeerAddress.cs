using System.Buffers.Binary;
using System.Net;
using System.Net.Sockets;
using SockCat.Endpoints;
using SockCat.Internal.Interop;

namespace SockCat.Server;

/// <summary>
/// A peer's address in 24 bytes, so an idle connection holds no <see cref="IPEndPoint"/>/<see cref="IPAddress"/> pair
/// (about 100 bytes); the objects are made only when something asks for them. IPv4-mapped IPv6 peers (a dual-mode
/// listener on ::) are stored as IPv4, so filters and logs see 127.0.0.1, not ::ffff:127.0.0.1.
/// </summary>
internal readonly struct PeerAddress
{
    private const byte KindNone = 0;
    private const byte KindV4 = 4;
    private const byte KindV6 = 6;
    private const byte KindUnix = 1;

    private readonly ulong _high;
    private readonly ulong _low;
    private readonly int _portOrPid;
    private readonly byte _kind;

    private PeerAddress(byte kind, ulong high, ulong low, int portOrPid)
    {
        _kind = kind;
        _high = high;
        _low = low;
        _portOrPid = portOrPid;
    }

    public bool IsIp => _kind is KindV4 or KindV6;

    public static PeerAddress Unix(int pid) => new(KindUnix, 0, 0, pid);

    /// <summary>Reads a struct sockaddr_in / sockaddr_in6 as accept4 filled it.</summary>
    public static unsafe PeerAddress FromSockAddr(byte* address, int length)
    {
        var family = *(ushort*)address;
        if (family == LinuxSockets.AF_INET && length >= 8)
        {
            var port = BinaryPrimitives.ReverseEndianness(*(ushort*)(address + 2));
            return new PeerAddress(KindV4, 0, *(uint*)(address + 4), port);
        }

        if (family == LinuxSockets.AF_INET6 && length >= 24)
        {
            var port = BinaryPrimitives.ReverseEndianness(*(ushort*)(address + 2));
            var high = *(ulong*)(address + 8);
            var low = *(ulong*)(address + 16);
            // ::ffff:a.b.c.d: the first 80 bits zero, then 16 bits of ones, then the IPv4 address.
            if (high == 0 && (uint)low == 0xFFFF0000u)
            {
                return new PeerAddress(KindV4, 0, low >> 32, port);
            }

            return new PeerAddress(KindV6, high, low, port);
        }

        return default;
    }

    public static PeerAddress FromEndPoint(EndPoint? endPoint)
    {
        if (endPoint is not IPEndPoint ip)
        {
            return endPoint is UnixDomainSocketEndPoint ? Unix(0) : default;
        }

        var address = ip.Address.IsIPv4MappedToIPv6 ? ip.Address.MapToIPv4() : ip.Address;
        Span<byte> bytes = stackalloc byte[16];
        address.TryWriteBytes(bytes, out _);
        return address.AddressFamily == AddressFamily.InterNetwork
            ? new PeerAddress(KindV4, 0, BitConverter.ToUInt32(bytes), ip.Port)
            : new PeerAddress(KindV6, BitConverter.ToUInt64(bytes), BitConverter.ToUInt64(bytes[8..]), ip.Port);
    }

    public IPAddress? ToIPAddress()
    {
        switch (_kind)
        {
            case KindV4:
                return new IPAddress((long)_low);
            case KindV6:
                Span<byte> bytes = stackalloc byte[16];
                BitConverter.TryWriteBytes(bytes, _high);
                BitConverter.TryWriteBytes(bytes[8..], _low);
                return new IPAddress(bytes);
            default:
                return null;
        }
    }

    public EndPoint? ToEndPoint(EndpointUrl listener) => _kind switch
    {
        KindV4 or KindV6 => new IPEndPoint(ToIPAddress()!, _portOrPid),
        KindUnix => new UnixDomainSocketEndPoint(listener.Path),
        _ => null,
    };

    /// <summary>
    /// The peer as the seed's log line prints it (PHP's stream_socket_get_name): <c>127.0.0.1:42203</c>,
    /// <c>[::1]:42203</c>. A unix socket peer has no name of its own, so it is named by its process and the socket:
    /// <c>pid 1234 on unix:///tmp/echo.sock</c>.
    /// </summary>
    public string Format(EndpointUrl listener) => _kind switch
    {
        KindV4 or KindV6 => new IPEndPoint(ToIPAddress()!, _portOrPid).ToString(),
        KindUnix when _portOrPid > 0 => $"pid {_portOrPid} on {listener}",
        _ => listener.ToString(),
    };
}
