using System.Buffers;
using System.Buffers.Binary;
using System.Net;
using System.Net.Sockets;
using System.Text;
using SockCat.Endpoints;

namespace SockCat.Client.Proxy;

/// <summary>
/// SOCKS5 (RFC 1928) CONNECT, with user name and password (RFC 1929) when the proxy URL has them. A host name is sent as
/// it is (address type 3): the proxy resolves it, as curl's socks5h:// does, so names only the proxy's side knows work
/// and no lookup leaves this machine.
/// </summary>
internal sealed class Socks5Negotiator : ProxyNegotiator
{
    private const byte Version = 5;
    private const byte NoAuthentication = 0x00;
    private const byte UserPassword = 0x02;
    private const byte NoAcceptableMethod = 0xff;

    private readonly byte[] _answer = new byte[4 + 255 + 2];
    private int _have;
    private Step _step;

    public Socks5Negotiator(ProxyUrl proxy, EndpointUrl target)
        : base(proxy, target)
    {
        if (!IPAddress.TryParse(target.Host, out _) && Encoding.UTF8.GetByteCount(target.Host) > 255)
        {
            throw new ArgumentException($"the host name '{target.Host[..40]}...' is longer than the 255 bytes SOCKS5 carries", nameof(target));
        }

        if (proxy.UserName is { } user && (Encoding.UTF8.GetByteCount(user) > 255 || Encoding.UTF8.GetByteCount(proxy.Password ?? "") > 255))
        {
            throw new ArgumentException("a SOCKS5 user name or password is at most 255 bytes (RFC 1929)", nameof(proxy));
        }
    }

    private enum Step
    {
        Method,
        Authentication,
        ReplyHead,
        ReplyNameLength,
        ReplyAddress,
    }

    protected override bool AnswersAtOnce => _step is Step.Method or Step.Authentication;

    protected override string ClosedDuring => _step switch
    {
        Step.Method => "before answering the SOCKS5 greeting",
        Step.Authentication => "before answering the user name and password (RFC 1929)",
        _ => $"before answering the request for {TargetName}",
    };

    protected override void OnStart(IBufferWriter<byte> output)
    {
        // VER NMETHODS METHODS: user/password is offered only when there is one to give.
        if (Proxy.UserName is null)
        {
            output.Write<byte>([Version, 1, NoAuthentication]);
        }
        else
        {
            output.Write<byte>([Version, 2, NoAuthentication, UserPassword]);
        }

        Expect(Step.Method, 2);
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

        var answer = _answer.AsSpan(0, _have);
        switch (_step)
        {
            case Step.Method:
                OnMethod(answer, output);
                break;
            case Step.Authentication:
                OnAuthentication(answer, output);
                break;
            case Step.ReplyHead:
                OnReplyHead(answer);
                break;
            case Step.ReplyNameLength:
                // The bound address is a name: its length, then the name and the port.
                Expect(Step.ReplyAddress, answer[0] + 2);
                break;
            case Step.ReplyAddress:
                // The address the proxy bound for the connection: nothing here needs it. The tunnel is open.
                _have = 0;
                break;
        }
    }

    private void OnMethod(ReadOnlySpan<byte> answer, IBufferWriter<byte> output)
    {
        if (answer[0] != Version)
        {
            throw NotTheProtocol("the SOCKS5 greeting", answer);
        }

        switch (answer[1])
        {
            case NoAuthentication:
                WriteRequest(output);
                break;
            case UserPassword when Proxy.UserName is not null:
                WriteCredentials(output);
                break;
            case NoAcceptableMethod when Proxy.UserName is null:
                throw Fail(ConnectFailure.ProxyAuthentication, 0xff, "SOCKS5_AUTH_REQUIRED",
                    $"{ProxyName} requires a user name and password",
                    "give them in the proxy URL: socks5://user:password@host:port");
            case NoAcceptableMethod:
                throw Fail(ConnectFailure.ProxyAuthentication, 0xff, "SOCKS5_NO_METHOD",
                    $"{ProxyName} accepts neither no authentication nor a user name and password (it answered 0xFF: no acceptable method)",
                    "check what the proxy's configuration asks of clients");
            default:
                throw Fail(ConnectFailure.ProxyProtocol, answer[1], "SOCKS5_METHOD",
                    $"{ProxyName} chose authentication method 0x{answer[1]:X2}, which was not offered",
                    "is it a SOCKS5 proxy? check the proxy URL's scheme and port");
        }
    }

    private void WriteCredentials(IBufferWriter<byte> output)
    {
        // RFC 1929: VER(1) ULEN UNAME PLEN PASSWD.
        var user = Encoding.UTF8.GetBytes(Proxy.UserName!);
        var password = Encoding.UTF8.GetBytes(Proxy.Password ?? "");
        var span = output.GetSpan(3 + user.Length + password.Length);
        span[0] = 1;
        span[1] = (byte)user.Length;
        user.CopyTo(span[2..]);
        span[2 + user.Length] = (byte)password.Length;
        password.CopyTo(span[(3 + user.Length)..]);
        output.Advance(3 + user.Length + password.Length);
        Expect(Step.Authentication, 2);
    }

    private void OnAuthentication(ReadOnlySpan<byte> answer, IBufferWriter<byte> output)
    {
        // RFC 1929 names the version 1; some proxies echo 5. The status is what matters: 0 is success.
        if (answer[0] is not (1 or Version))
        {
            throw NotTheProtocol("the user name and password", answer);
        }

        if (answer[1] != 0)
        {
            throw Fail(ConnectFailure.ProxyAuthentication, answer[1], "SOCKS5_AUTH_FAILED",
                $"{ProxyName} refused the user name '{Proxy.UserName}' and its password (RFC 1929 status {answer[1]})",
                "check the user name and password in the proxy URL");
        }

        WriteRequest(output);
    }

    private void WriteRequest(IBufferWriter<byte> output)
    {
        // VER CMD RSV ATYP DST.ADDR DST.PORT, CMD 1 = CONNECT.
        var span = output.GetSpan(4 + 1 + 255 + 2);
        span[0] = Version;
        span[1] = 1;
        span[2] = 0;
        int length;
        if (IPAddress.TryParse(Target.Host, out var address))
        {
            var ipv6 = address.AddressFamily == AddressFamily.InterNetworkV6;
            span[3] = ipv6 ? (byte)4 : (byte)1;
            address.TryWriteBytes(span[4..], out var written);
            length = 4 + written;
        }
        else
        {
            span[3] = 3;
            var written = Encoding.UTF8.GetBytes(Target.Host, span[5..]);
            span[4] = (byte)written;
            length = 5 + written;
        }

        BinaryPrimitives.WriteUInt16BigEndian(span[length..], (ushort)Target.Port);
        output.Advance(length + 2);
        Expect(Step.ReplyHead, 4);
    }

    private void OnReplyHead(ReadOnlySpan<byte> answer)
    {
        // VER REP RSV ATYP, then BND.ADDR and BND.PORT.
        if (answer[0] != Version)
        {
            throw NotTheProtocol($"the request for {TargetName}", answer);
        }

        if (answer[1] != 0)
        {
            throw Refused(answer[1]);
        }

        switch (answer[3])
        {
            case 1:
                Expect(Step.ReplyAddress, 4 + 2);
                break;
            case 4:
                Expect(Step.ReplyAddress, 16 + 2);
                break;
            case 3:
                Expect(Step.ReplyNameLength, 1);
                break;
            default:
                throw Fail(ConnectFailure.ProxyProtocol, answer[3], "SOCKS5_ADDRESS_TYPE",
                    $"{ProxyName} answered the request for {TargetName} with address type {answer[3]}, which SOCKS5 does not have",
                    "is it a SOCKS5 proxy? check the proxy URL's scheme and port");
        }
    }

    /// <summary>RFC 1928's reply codes, in words.</summary>
    private ConnectException Refused(byte reply)
    {
        var (name, words, hint) = reply switch
        {
            1 => ("SOCKS5_GENERAL_FAILURE", "general SOCKS server failure", "the proxy could not reach it (some proxies answer this for a refused connection too); is a server listening there, as the proxy sees it?"),
            2 => ("SOCKS5_NOT_ALLOWED", "connection not allowed by ruleset", "the proxy's rules forbid this target; check its configuration"),
            3 => ("SOCKS5_NETWORK_UNREACHABLE", "network unreachable", "check the target's address: the proxy reaches it, not this machine"),
            4 => ("SOCKS5_HOST_UNREACHABLE", "host unreachable", "check the target's name and address: the proxy resolves and reaches it, not this machine"),
            5 => ("SOCKS5_CONNECTION_REFUSED", "connection refused", "is a server listening there, as the proxy sees it?"),
            6 => ("SOCKS5_TTL_EXPIRED", "TTL expired", "the target did not answer the proxy in time; is the host up?"),
            7 => ("SOCKS5_COMMAND_NOT_SUPPORTED", "command not supported", "the proxy does not do CONNECT; check its configuration"),
            8 => ("SOCKS5_ADDRESS_NOT_SUPPORTED", "address type not supported", "give the target as an IPv4 address, or try another proxy"),
            _ => ("SOCKS5_REPLY", "an unassigned reply code", "check the proxy's log"),
        };
        return Fail(ConnectFailure.ProxyTarget, reply, name, $"{ProxyName} could not connect to {TargetName}: {words} (SOCKS5 reply {reply})", hint);
    }

    private void Expect(Step step, int count)
    {
        _step = step;
        _have = 0;
        Wanted = count;
    }
}
