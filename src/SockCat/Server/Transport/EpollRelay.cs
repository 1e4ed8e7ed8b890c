using System.Buffers.Binary;
using System.Diagnostics;
using System.Net;
using System.Net.Sockets;
using System.Text;
using SockCat.Client;
using SockCat.Endpoints;
using SockCat.Internal.Interop;
using SockCat.Server.Relay;

namespace SockCat.Server.Transport;

/// <summary>
/// One relay on an epoll loop: the nonblocking connect to the target (each address in turn, EPOLLOUT as its completion,
/// a timer for <see cref="ConnectOptions.Timeout"/>), then the pair of connections until both are closed. Everything runs
/// on the loop's thread; a host name is resolved off it, and the answer (like the timer) comes back as a post to the
/// inbound connection.
/// </summary>
internal sealed class EpollRelay(EpollLoop loop, EpollConnection inbound, EndpointUrl target, RelayOptions options)
{
    private readonly long _started = Stopwatch.GetTimestamp();
    private EpollConnection? _outbound;
    private EndPoint? _endPoint; // the address _outbound connects to
    private IPAddress[] _addresses = [];
    private int _next;
    private string _lastTarget = "";
    private ConnectException? _lastError;
    private Timer? _timer;
    private bool _connected;
    private bool _ended;
    private ConnectException? _connectError;
    private string? _reason;

    public void Start()
    {
        if (options.Connect.Timeout != Timeout.InfiniteTimeSpan)
        {
            _timer = new Timer(
                static s => ((EpollRelay)s!).Post(static (_, r) => ((EpollRelay)r!).OnTimeout()),
                this, options.Connect.Timeout, Timeout.InfiniteTimeSpan);
        }

        if (target.Scheme == EndpointScheme.Unix)
        {
            ConnectUnix();
            return;
        }

        if (IPAddress.TryParse(target.Host, out var literal))
        {
            _addresses = [literal];
            ConnectNext();
            return;
        }

        _ = ResolveAsync();
    }

    private void Post(Action<IConnection, object?> callback) => inbound.Post(callback, this);

    private async Task ResolveAsync()
    {
        try
        {
            var addresses = await SocketClient.ResolveAsync(target, options.Connect, CancellationToken.None).ConfigureAwait(false);
            inbound.Post(static (_, s) =>
            {
                var (relay, found) = ((EpollRelay, IPAddress[]))s!;
                relay._addresses = found;
                relay.ConnectNext();
            }, (this, addresses));
        }
        catch (ConnectException ex)
        {
            inbound.Post(static (_, s) =>
            {
                var (relay, error) = ((EpollRelay, ConnectException))s!;
                relay.Fail(error);
            }, (this, ex));
        }
    }

    /// <summary>Starts the connect to the next address; when none is left, reports the last one's error.</summary>
    private unsafe void ConnectNext()
    {
        if (_ended || _connected)
        {
            return;
        }

        var sockaddr = stackalloc byte[28];
        while (_next < _addresses.Length)
        {
            var address = _addresses[_next++];
            var endPoint = new IPEndPoint(address, target.Port);
            _lastTarget = SocketClient.DescribeTarget(target, endPoint);
            int length;
            if (address.AddressFamily == AddressFamily.InterNetworkV6)
            {
                new Span<byte>(sockaddr, 28).Clear();
                *(ushort*)sockaddr = LinuxSockets.AF_INET6;
                BinaryPrimitives.WriteUInt16BigEndian(new Span<byte>(sockaddr + 2, 2), (ushort)target.Port);
                address.TryWriteBytes(new Span<byte>(sockaddr + 8, 16), out _);
                *(uint*)(sockaddr + 24) = (uint)address.ScopeId;
                length = 28;
            }
            else
            {
                new Span<byte>(sockaddr, 16).Clear();
                *(ushort*)sockaddr = LinuxSockets.AF_INET;
                BinaryPrimitives.WriteUInt16BigEndian(new Span<byte>(sockaddr + 2, 2), (ushort)target.Port);
                address.TryWriteBytes(new Span<byte>(sockaddr + 4, 4), out _);
                length = 16;
            }

            if (TryConnect(*(ushort*)sockaddr, sockaddr, length, endPoint))
            {
                return;
            }
        }

        Fail(_lastError ?? SocketClient.SocketFailure(target, 101, _lastTarget));
    }

    private unsafe void ConnectUnix()
    {
        _lastTarget = $"unix socket {target.Path}";
        var path = Encoding.UTF8.GetBytes(target.Path);
        var sockaddr = stackalloc byte[110];
        new Span<byte>(sockaddr, 110).Clear();
        *(ushort*)sockaddr = LinuxSockets.AF_UNIX;
        if (path.Length > 107)
        {
            Fail(SocketClient.SocketFailure(target, 36 /* ENAMETOOLONG */, _lastTarget));
            return;
        }

        path.CopyTo(new Span<byte>(sockaddr + 2, path.Length));
        if (!TryConnect(LinuxSockets.AF_UNIX, sockaddr, 2 + path.Length + 1, new UnixDomainSocketEndPoint(target.Path)))
        {
            Fail(_lastError!);
        }
    }

    /// <summary>Opens a nonblocking socket and starts its connect; false (with the error kept) when it failed at once.</summary>
    private unsafe bool TryConnect(int family, byte* sockaddr, int length, EndPoint endPoint)
    {
        var fd = LinuxSockets.Socket(family, LinuxSockets.SOCK_STREAM | LinuxSockets.SOCK_NONBLOCK | LinuxSockets.SOCK_CLOEXEC, 0);
        if (fd < 0)
        {
            _lastError = SocketClient.SocketFailure(target, LinuxSockets.LastError, _lastTarget);
            return false;
        }

        if (family != LinuxSockets.AF_UNIX)
        {
            LinuxSockets.SetIntOption(fd, LinuxSockets.IPPROTO_TCP, LinuxSockets.TCP_NODELAY, 1);
        }

        if (LinuxSockets.Connect(fd, sockaddr, length) != 0)
        {
            var errno = LinuxSockets.LastError;
            if (errno != LinuxSockets.EINPROGRESS)
            {
                LinuxSockets.Close(fd);
                _lastError = SocketClient.SocketFailure(target, errno, _lastTarget);
                return false;
            }
        }

        // Connected or under way: either way EPOLLOUT says so (at once when already connected).
        var outbound = loop.AddOutbound(inbound, fd, PeerAddress.FromEndPoint(endPoint));
        outbound.AttachOutbound(this);
        _outbound = outbound;
        _endPoint = endPoint;
        if (!outbound.StartOutbound())
        {
            _outbound = null;
            _lastError = SocketClient.SocketFailure(target, LinuxSockets.LastError, _lastTarget);
            outbound.AbandonConnect();
            return false;
        }

        return true;
    }

    /// <summary>EPOLLOUT (or an error) on the connecting socket: connected, or on to the next address.</summary>
    public void OnConnectEvent(EpollConnection outbound)
    {
        var error = outbound.PendingSocketError();
        if (error != 0)
        {
            _outbound = null;
            outbound.AbandonConnect();
            _lastError = SocketClient.SocketFailure(target, error, _lastTarget);
            if (target.Scheme == EndpointScheme.Unix)
            {
                Fail(_lastError);
            }
            else
            {
                ConnectNext();
            }

            return;
        }

        _connected = true;
        _timer?.Dispose();
        inbound.Pair(outbound, options.Splice);
        if (!inbound.IsClosed && options.Observer is { } observer)
        {
            try
            {
                observer.OnRelayConnected(inbound, _endPoint);
            }
            catch (Exception ex)
            {
                ServerLog.ProtocolFailed(loop.Host.Logger, inbound.Id, inbound.Peer, ex);
            }
        }
    }

    private void OnTimeout()
    {
        if (_connected || _ended)
        {
            return;
        }

        if (_outbound is { } pending)
        {
            _outbound = null;
            pending.AbandonConnect();
        }

        Fail(SocketClient.ConnectTimedOut(target, options.Connect.Timeout, _lastTarget.Length > 0 ? _lastTarget : target.ToString()));
    }

    private void Fail(ConnectException error)
    {
        _timer?.Dispose();
        if (_ended || inbound.IsClosed)
        {
            return;
        }

        _connectError = error;
        _reason = $"cannot reach {target}: {error.Message}";
        inbound.RelayFailed(_reason);
    }

    /// <summary>One side closed: the other follows, and once both have, the observer hears how it went.</summary>
    public void OnSideClosed(EpollConnection side, string? reason)
    {
        if (side.IsOutbound && !_connected)
        {
            return; // an address that did not answer, or the pending connect of a client that left
        }

        _reason ??= reason;
        var other = side.IsOutbound ? inbound : _outbound;
        if (other is not null && !other.IsClosed)
        {
            other.CloseWithPartner(reason);
        }

        if (_outbound is { IsClosed: false } pending && !_connected)
        {
            _outbound = null;
            pending.AbandonConnect();
        }

        if (_ended || !inbound.IsClosed || _outbound is { IsClosed: false })
        {
            return;
        }

        _ended = true;
        _timer?.Dispose();
        if (options.Observer is not { } observer)
        {
            return;
        }

        var result = new RelayResult
        {
            Target = target,
            BytesToTarget = _outbound?.BytesSent ?? 0,
            BytesFromTarget = _outbound?.BytesReceived ?? 0,
            Duration = Stopwatch.GetElapsedTime(_started),
            ConnectError = _connectError,
            Reason = _reason,
        };
        try
        {
            observer.OnRelayEnded(inbound, result);
        }
        catch (Exception ex)
        {
            ServerLog.ProtocolFailed(loop.Host.Logger, inbound.Id, inbound.Peer, ex);
        }
    }
}
