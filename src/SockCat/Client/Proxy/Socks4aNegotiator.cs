using System.Buffers;
using System.Buffers.Binary;
using System.Net;
using System.Net.Sockets;
using System.Text;
using SockCat.Endpoints;

namespace SockCat.Client.Proxy;

/// <summary>
/// SOCKS4a CONNECT: an IPv4 address as SOCKS4 sends it, or a host name after the invalid address 0.0.0.1 for the proxy
/// to resolve. The proxy URL's user name is the user ID; SOCKS4 has no password.
/// </summary>
internal sealed class Socks4aNegotiator : ProxyNegotiator
{
    private readonly byte[] _answer = new byte[8];
    private int _have;

    public Socks4aNegotiator(ProxyUrl proxy, EndpointUrl target)
        : base(proxy, target)
    {
        if (IPAddress.TryParse(target.Host, out var address) && address.AddressFamily == AddressFamily.InterNetworkV6)
        {
            throw new ArgumentException($"SOCKS4a carries IPv4 addresses and host names, and {target.Host} is an IPv6 address; use a socks5:// proxy", nameof(target));
        }

        if (proxy.Password is not null)
        {
            throw new ArgumentException("SOCKS4a has a user ID and no password; leave the password out of the proxy URL, or use socks5://", nameof(proxy));
        }
    }

    protected override string ClosedDuring => $"before answering the request for {TargetName}";

    protected override void OnStart(IBufferWriter<byte> output)
    {
        // VN=4 CD=1 DSTPORT DSTIP USERID NUL [HOST NUL]
        var user = Encoding.UTF8.GetBytes(Proxy.UserName ?? "");
        var name = IPAddress.TryParse(Target.Host, out var address) ? null : Encoding.UTF8.GetBytes(Target.Host);
        var length = 8 + user.Length + 1 + (name is null ? 0 : name.Length + 1);
        var span = output.GetSpan(length);
        span[0] = 4;
        span[1] = 1;
        BinaryPrimitives.WriteUInt16BigEndian(span[2..], (ushort)Target.Port);
        if (address is not null)
        {
            address.TryWriteBytes(span[4..], out _);
        }
        else
        {
            span[4..7].Clear();
            span[7] = 1;
        }

        user.CopyTo(span[8..]);
        span[8 + user.Length] = 0;
        if (name is not null)
        {
            name.CopyTo(span[(9 + user.Length)..]);
            span[length - 1] = 0;
        }

        output.Advance(length);
        Wanted = 8;
    }

    protected override void OnReceive(ReadOnlySpan<byte> input, IBufferWriter<byte> output)
    {
        input.CopyTo(_answer.AsSpan(_have));
        _have += input.Length;
        Wanted -= input.Length;
        if (Wanted > 0)
        {
            return;
        }

        // VN CD DSTPORT DSTIP: VN is 0 in the protocol, 4 from some proxies.
        var answer = _answer.AsSpan();
        if (answer[0] is not (0 or 4) || answer[1] is < 90 or > 93)
        {
            throw NotTheProtocol($"the request for {TargetName}", answer);
        }

        switch (answer[1])
        {
            case 90:
                return;
            case 91:
                    throw Fail(ConnectFailure.ProxyTarget, 91, "SOCKS4_REJECTED",
                    $"{ProxyName} could not connect to {TargetName}: request rejected or failed (SOCKS4 reply 91)",
                    "is a server listening there, as the proxy sees it, and do the proxy's rules allow it?");
            default:
                    throw Fail(ConnectFailure.ProxyAuthentication, answer[1], "SOCKS4_IDENTD",
                    answer[1] == 92
                        ? $"{ProxyName} refused the request: it could not reach identd on this machine to check the user ID (SOCKS4 reply 92)"
                        : $"{ProxyName} refused the request: identd on this machine does not confirm the user ID '{Proxy.UserName}' (SOCKS4 reply 93)",
                    "give the user ID the proxy expects in the proxy URL (socks4a://user@host:port), or use socks5:// with a password");
        }
    }
}
