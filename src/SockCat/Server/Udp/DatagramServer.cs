using System.Net;
using System.Net.Sockets;
using Microsoft.Extensions.Logging;
using SockCat.Endpoints;

namespace SockCat.Server.Udp;

/// <summary>
/// A udp:// listener: a datagram loop on a thread of its own hands every datagram from an allowed peer to an
/// <see cref="IDatagramProtocol"/> (<c>serve echo udp://</c> runs <c>EchoDatagramProtocol</c> on it). New peers are
/// logged (<c>Datagram peer 127.0.0.1:5000 seen. Now there are total 1 peers.</c>) and remembered in a bounded table
/// that forgets idle ones; the access list is applied once per peer.
/// </summary>
/// <remarks>
/// The loop is one blocking <c>recvfrom</c> per datagram into a single reused 64 KiB buffer and a reused
/// <see cref="SocketAddress"/>, and a reply is one <c>sendto</c> from the protocol's call: no allocation, lock, log
/// call or thread hop per datagram. Only a new peer allocates (its address, once) and logs. Stopping closes the
/// socket, which wakes the blocked receive.
/// </remarks>
public sealed class DatagramServer : IAsyncDisposable
{
    /// <summary>The largest UDP payload over IPv4: 65,535 − 20 (IP header) − 8 (UDP header).</summary>
    public const int MaxDatagramSize = 65_507;

    // IPv6 allows payloads up to 65,527 bytes; a buffer of 64 KiB never truncates one of either family.
    private const int BufferSize = 65_536;

    // Idle peers are looked for at most this often; while peers are known the receive wakes this often to do it.
    private static readonly TimeSpan SweepInterval = TimeSpan.FromSeconds(1);

    private readonly Socket _socket;
    private readonly ILogger _logger;
    private readonly DatagramServerOptions _options;
    private readonly IDatagramProtocol _protocol;
    private readonly UdpPeerTable _peers;
    private readonly Thread _thread;
    private readonly TaskCompletionSource _completion = new(TaskCreationOptions.RunContinuationsAsynchronously);
    private readonly Action<UdpPeerTable.Peer, long> _onExpired;
    private volatile bool _stopping;
    private int _peerCount;
    private long _received;
    private long _bytesReceived;
    private long _sent;
    private long _bytesSent;
    private long _dropped;

    private DatagramServer(Socket socket, EndpointUrl url, IDatagramProtocol protocol, ILogger logger, DatagramServerOptions options)
    {
        _socket = socket;
        _protocol = protocol;
        _logger = logger;
        _options = options;
        _peers = new UdpPeerTable(options.MaxPeers, options.PeerIdleTimeout);
        _onExpired = OnPeerExpired;
        LocalEndPoint = (IPEndPoint)socket.LocalEndPoint!;
        Url = url.WithPort(LocalEndPoint.Port);
        _thread = new Thread(Run) { IsBackground = true, Name = $"sockcat udp {LocalEndPoint.Port}" };
    }

    /// <summary>The address the socket is bound to, with the port the system chose when port 0 was asked for.</summary>
    public IPEndPoint LocalEndPoint { get; }

    /// <summary>The listener's URL with its real port (what to print for <c>udp://127.0.0.1:0</c>).</summary>
    public EndpointUrl Url { get; }

    /// <summary>Peers heard from within the idle timeout (updated by the loop; read from any thread).</summary>
    public int PeerCount => Volatile.Read(ref _peerCount);

    /// <summary>Datagrams from allowed peers handed to the protocol so far.</summary>
    public long DatagramsReceived => Interlocked.Read(ref _received);

    /// <summary>Payload bytes of <see cref="DatagramsReceived"/>.</summary>
    public long BytesReceived => Interlocked.Read(ref _bytesReceived);

    /// <summary>Replies sent so far.</summary>
    public long DatagramsSent => Interlocked.Read(ref _sent);

    /// <summary>Payload bytes of <see cref="DatagramsSent"/>.</summary>
    public long BytesSent => Interlocked.Read(ref _bytesSent);

    /// <summary>Datagrams dropped: from peers refused by <see cref="DatagramServerOptions.Access"/>, or replies that could not be sent.</summary>
    public long DatagramsDropped => Interlocked.Read(ref _dropped);

    /// <summary>Completes when the loop has ended: after <see cref="StopAsync"/>, or faulted if the socket failed.</summary>
    public Task Completion => _completion.Task;

    // Allocation seen by the loop thread, for the test that holds the loop to no allocation per datagram.
    internal long AllocatedAtLastNewPeer { get; private set; }

    internal long AllocatedAtExit { get; private set; }

    /// <summary>
    /// Binds <paramref name="url"/> (a <c>udp://</c> endpoint; a host name is resolved, <c>[::]</c> also takes IPv4)
    /// and starts the datagram loop, which calls <paramref name="protocol"/> for each datagram on its own thread.
    /// </summary>
    /// <exception cref="ArgumentException"><paramref name="url"/> is not a udp endpoint.</exception>
    /// <exception cref="SocketException">The address cannot be bound: in use, not local, or a privileged port.</exception>
    public static DatagramServer Start(EndpointUrl url, IDatagramProtocol protocol, ILogger logger, DatagramServerOptions? options = null)
    {
        ArgumentNullException.ThrowIfNull(url);
        ArgumentNullException.ThrowIfNull(protocol);
        ArgumentNullException.ThrowIfNull(logger);
        if (url.Scheme != EndpointScheme.Udp)
        {
            throw new ArgumentException($"A datagram server serves udp:// endpoints, not {url}", nameof(url));
        }

        var endPoint = (IPEndPoint?)url.ToEndPoint() ?? Resolve(url);
        var socket = new Socket(endPoint.AddressFamily, SocketType.Dgram, ProtocolType.Udp);
        try
        {
            if (endPoint.AddressFamily == AddressFamily.InterNetworkV6 && endPoint.Address.Equals(IPAddress.IPv6Any))
            {
                socket.DualMode = true;
            }

            socket.Bind(endPoint);
        }
        catch
        {
            socket.Dispose();
            throw;
        }

        var server = new DatagramServer(socket, url, protocol, logger, options ?? new DatagramServerOptions());
        server._thread.Start();
        return server;
    }

    /// <summary>Stops the loop and closes the socket, releasing the port. Safe to call more than once.</summary>
    public async Task StopAsync()
    {
        _stopping = true;
        _socket.Dispose();
        try
        {
            await _completion.Task.ConfigureAwait(false);
        }
        catch (Exception) when (_completion.Task.IsFaulted)
        {
            // Already logged by the loop; stopping is what the caller asked for.
        }
    }

    /// <inheritdoc />
    public async ValueTask DisposeAsync() => await StopAsync().ConfigureAwait(false);

    private static IPEndPoint Resolve(EndpointUrl url)
    {
        var addresses = Dns.GetHostAddresses(url.Host);
        var address = addresses.FirstOrDefault(a => a.AddressFamily == AddressFamily.InterNetwork) ?? addresses.FirstOrDefault()
            ?? throw new SocketException((int)SocketError.HostNotFound);
        return new IPEndPoint(address, url.Port);
    }

    private void Run()
    {
        var buffer = GC.AllocateUninitializedArray<byte>(BufferSize, pinned: true);
        var from = new SocketAddress(_socket.AddressFamily);
        var nextSweep = Environment.TickCount64 + (long)SweepInterval.TotalMilliseconds;
        var sweeping = false;
        var tableFullLogged = false;
        try
        {
            while (!_stopping)
            {
                int received;
                try
                {
                    received = _socket.ReceiveFrom(buffer, SocketFlags.None, from);
                }
                catch (SocketException ex) when (ex.SocketErrorCode is SocketError.TimedOut or SocketError.WouldBlock && !_stopping)
                {
                    received = -1; // woken to forget idle peers
                }
                catch (SocketException ex) when (ex.SocketErrorCode is SocketError.ConnectionReset or SocketError.MessageSize && !_stopping)
                {
                    // Windows reports an ICMP port-unreachable from an earlier send here; a peer gone is no reason to stop.
                    continue;
                }

                var now = Environment.TickCount64;
                if (now >= nextSweep)
                {
                    _peers.RemoveExpired(now, _onExpired);
                    Volatile.Write(ref _peerCount, _peers.Count);
                    nextSweep = now + (long)SweepInterval.TotalMilliseconds;
                    if (_peers.Count < _options.MaxPeers)
                    {
                        tableFullLogged = false;
                    }
                }

                // Wake up to forget idle peers only while there are peers to forget.
                if (sweeping != (_peers.Count > 0))
                {
                    sweeping = _peers.Count > 0;
                    _socket.ReceiveTimeout = sweeping ? (int)SweepInterval.TotalMilliseconds : 0;
                }

                if (received < 0)
                {
                    continue;
                }

                ref var peer = ref _peers.Touch(from, now, out var isNew, out var evicted);
                if (isNew)
                {
                    NewPeer(ref peer, from, evicted, ref tableFullLogged);
                    if (!sweeping)
                    {
                        sweeping = true;
                        _socket.ReceiveTimeout = (int)SweepInterval.TotalMilliseconds;
                    }
                }

                if (!peer.Allowed)
                {
                    Interlocked.Increment(ref _dropped);
                    continue;
                }

                Interlocked.Increment(ref _received);
                Interlocked.Add(ref _bytesReceived, received);
                _protocol.OnDatagram(new Datagram(this, buffer.AsSpan(0, received), from, peer.EndPoint));
            }

            AllocatedAtExit = GC.GetAllocatedBytesForCurrentThread();
            _completion.TrySetResult();
        }
        catch (Exception) when (_stopping)
        {
            AllocatedAtExit = GC.GetAllocatedBytesForCurrentThread();
            _completion.TrySetResult();
        }
        catch (Exception ex)
        {
            UdpLog.LoopFailed(_logger, ex, LocalEndPoint);
            _completion.TrySetException(ex);
        }
    }

    /// <summary>A reply from <see cref="Datagram.Reply"/>: one <c>sendto</c>, counted; a failure is logged at debug level and counted as dropped.</summary>
    internal bool SendTo(ReadOnlySpan<byte> payload, SocketAddress to, IPEndPoint peer)
    {
        try
        {
            _socket.SendTo(payload, SocketFlags.None, to);
        }
        catch (SocketException ex) when (!_stopping)
        {
            Interlocked.Increment(ref _dropped);
            UdpLog.SendFailed(_logger, peer, new UdpLog.SocketErrorText(ex.SocketErrorCode));
            return false;
        }
        catch (ObjectDisposedException) when (_stopping)
        {
            return false;
        }

        Interlocked.Increment(ref _sent);
        Interlocked.Add(ref _bytesSent, payload.Length);
        return true;
    }

    private void NewPeer(ref UdpPeerTable.Peer peer, SocketAddress from, bool evicted, ref bool tableFullLogged)
    {
        var endPoint = (IPEndPoint)LocalEndPoint.Create(from);
        if (endPoint.Address.IsIPv4MappedToIPv6)
        {
            endPoint = new IPEndPoint(endPoint.Address.MapToIPv4(), endPoint.Port);
        }

        peer.EndPoint = endPoint;
        peer.Allowed = _options.Access.IsAllowed(endPoint.Address);
        Volatile.Write(ref _peerCount, _peers.Count);
        if (evicted && !tableFullLogged)
        {
            tableFullLogged = true;
            UdpLog.PeerTableFull(_logger, _options.MaxPeers);
        }

        if (peer.Allowed)
        {
            UdpLog.PeerSeen(_logger, endPoint, _peers.Count);
        }
        else
        {
            UdpLog.PeerDenied(_logger, endPoint);
        }

        AllocatedAtLastNewPeer = GC.GetAllocatedBytesForCurrentThread();
    }

    private void OnPeerExpired(UdpPeerTable.Peer peer, long idleMs) =>
        UdpLog.PeerExpired(_logger, peer.EndPoint, idleMs / 1000.0, _peers.Count);
}
