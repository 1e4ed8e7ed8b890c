using System.Buffers;
using SockCat.Endpoints;

namespace SockCat.Client.Proxy;

/// <summary>
/// One proxy handshake, sans-IO: <see cref="Start"/> writes what the client says first, <see cref="Receive"/> takes what the
/// proxy answered and writes what to say next, until <see cref="IsOpen"/> (the tunnel carries the target's bytes from then
/// on) or a <see cref="ConnectException"/> says why not. No socket and no await: <see cref="ProxyTunnel"/> drives it over a
/// stream, and tests drive it byte by byte.
/// </summary>
/// <remarks>
/// <see cref="Wanted"/> never asks for more than the proxy's answer still holds, so a driver that reads at most that many
/// bytes never reads the target's first bytes into the handshake (a server that speaks first, as SMTP or SSH do, would
/// otherwise lose them).
/// </remarks>
internal abstract class ProxyNegotiator(ProxyUrl proxy, EndpointUrl target)
{
    private bool _started;
    private bool _failed;

    protected ProxyUrl Proxy { get; } = proxy;

    protected EndpointUrl Target { get; } = target;

    /// <summary>How many more bytes the proxy's answer has at least: read at most this many; 0 once the tunnel is open.</summary>
    public int Wanted { get; protected set; }

    /// <summary>The proxy has agreed: what follows on the connection is the target's.</summary>
    public bool IsOpen => _started && !_failed && Wanted == 0;

    /// <summary>The target as the proxy is asked for it, for messages: host:port, an IPv6 address in brackets.</summary>
    protected string TargetName => Target.Host.Contains(':', StringComparison.Ordinal) ? $"[{Target.Host}]:{Target.Port}" : $"{Target.Host}:{Target.Port}";

    /// <summary>The proxy, for messages: "the SOCKS5 proxy 127.0.0.1:1080".</summary>
    protected string ProxyName => $"the {Proxy.KindName} proxy {Proxy.HostAndPort}";

    /// <summary>Creates the negotiator for <paramref name="proxy"/>'s kind.</summary>
    /// <exception cref="ArgumentException">The target cannot be asked for through this kind of proxy (an IPv6 address through SOCKS4a, a name over 255 bytes through SOCKS5).</exception>
    public static ProxyNegotiator Create(ProxyUrl proxy, EndpointUrl target) => proxy.Kind switch
    {
        ProxyKind.Socks5 => new Socks5Negotiator(proxy, target),
        ProxyKind.Socks4a => new Socks4aNegotiator(proxy, target),
        _ => new HttpConnectNegotiator(proxy, target),
    };

    /// <summary>Writes the client's first message (the greeting or the request).</summary>
    public void Start(IBufferWriter<byte> output)
    {
        ArgumentNullException.ThrowIfNull(output);
        if (_started)
        {
            throw new InvalidOperationException("the handshake has already started");
        }

        _started = true;
        OnStart(output);
    }

    /// <summary>Takes bytes the proxy sent (at most <see cref="Wanted"/>) and writes the client's next message, if any.</summary>
    /// <exception cref="ConnectException">The proxy refused, or answered something that is not its protocol.</exception>
    public void Receive(ReadOnlySpan<byte> input, IBufferWriter<byte> output)
    {
        ArgumentNullException.ThrowIfNull(output);
        if (!_started || IsOpen || _failed)
        {
            throw new InvalidOperationException(!_started ? "call Start first" : _failed ? "the handshake has failed" : "the tunnel is already open");
        }

        if (input.Length > Wanted)
        {
            throw new ArgumentException($"{input.Length} bytes given and only {Wanted} wanted: the bytes after the handshake are the target's", nameof(input));
        }

        try
        {
            OnReceive(input, output);
        }
        catch
        {
            _failed = true;
            throw;
        }
    }

    /// <summary>The error for a proxy that closed (or reset) the connection before the tunnel was open.</summary>
    public ConnectException Closed(bool reset = false) => Fail(ConnectFailure.ProxyProtocol, 0, "PROXY_CLOSED",
        $"{ProxyName} {(reset ? "reset" : "closed")} the connection {ClosedDuring}",
        ClosedHint);

    /// <summary>
    /// The error for a handshake that ran out of time (<paramref name="after"/>, "30 s"). A proxy that is silent where its
    /// protocol answers at once (a SOCKS5 greeting) is most likely not that kind of proxy: an HTTP proxy waits, silent, for
    /// a request line. Elsewhere the proxy may be waiting for the target.
    /// </summary>
    public ConnectException TimedOut(string after) => AnswersAtOnce
        ? Fail(ConnectFailure.ProxyProtocol, 110, "ETIMEDOUT",
            $"{ProxyName} said nothing for {after} {ClosedDuring.Replace("before answering", "after", StringComparison.Ordinal)}, which {Article} {Proxy.KindName} proxy answers at once (ETIMEDOUT)",
            $"is it {Article} {Proxy.KindName} proxy? check the proxy URL's scheme and port")
        : Fail(ConnectFailure.TimedOut, 110, "ETIMEDOUT",
            $"{ProxyName} did not answer within {after} when asked for {TargetName} (ETIMEDOUT)",
            $"is the target slow to answer the proxy, or is it not {Article} {Proxy.KindName} proxy?");

    /// <summary>Whether the proxy's next answer comes at once, without waiting for the target (a SOCKS5 greeting or login).</summary>
    protected virtual bool AnswersAtOnce => false;

    /// <summary>"a" or "an" before the proxy's kind name.</summary>
    protected string Article => Proxy.Kind == ProxyKind.Http ? "an" : "a";

    /// <summary>Where the handshake was when the proxy closed, for <see cref="Closed"/>: "before answering the SOCKS5 greeting".</summary>
    protected abstract string ClosedDuring { get; }

    /// <summary>What to check when the proxy closed in the middle: its kind, most often.</summary>
    protected virtual string ClosedHint => $"is it {Article} {Proxy.KindName} proxy? check the proxy URL's scheme, or the proxy's log";

    protected abstract void OnStart(IBufferWriter<byte> output);

    protected abstract void OnReceive(ReadOnlySpan<byte> input, IBufferWriter<byte> output);

    /// <summary>A failure of this handshake, reported against the target as every connect failure is.</summary>
    protected ConnectException Fail(ConnectFailure failure, int number, string name, string message, string hint) =>
        new(Target, failure, number, name, message, hint);

    /// <summary>The proxy answered with bytes its protocol does not have.</summary>
    protected ConnectException NotTheProtocol(string what, ReadOnlySpan<byte> answer) => Fail(ConnectFailure.ProxyProtocol, 0, "PROXY_PROTOCOL",
        $"{ProxyName} answered {what} with {Show(answer)}, which is not {Proxy.KindName}",
        $"is it {Article} {Proxy.KindName} proxy? check the proxy URL's scheme and port");

    /// <summary>Bytes for a message: printable ASCII quoted, anything else in hex.</summary>
    protected static string Show(ReadOnlySpan<byte> bytes)
    {
        var cut = bytes.Length > 32 ? bytes[..32] : bytes;
        var printable = true;
        foreach (var b in cut)
        {
            printable &= b is >= 0x20 and < 0x7f or (byte)'\r' or (byte)'\n';
        }

        var more = bytes.Length > cut.Length ? "..." : "";
        return printable && cut.Length > 0
            ? $"'{System.Text.Encoding.ASCII.GetString(cut).Replace("\r", "\\r", StringComparison.Ordinal).Replace("\n", "\\n", StringComparison.Ordinal)}{more}'"
            : $"bytes {Convert.ToHexString(cut)}{more}";
    }
}
