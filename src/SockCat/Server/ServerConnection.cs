using System.Net;
using SockCat.Client;
using SockCat.Endpoints;
using SockCat.Server.Relay;

namespace SockCat.Server;

/// <summary>
/// What every transport's connection shares: identity, the peer, the listener, and the registry's counters. The counters
/// are plain fields written only by the connection's own thread (no lock, no interlocked op per message); a registry
/// snapshot reads them racily, which on 64-bit is a slightly stale but never torn value.
/// </summary>
internal abstract class ServerConnection : IConnection
{
    private readonly PeerAddress _peer;
    private readonly ListenerBinding _binding;

    protected ServerConnection(ServerHost host, ListenerBinding binding, long id, PeerAddress peer)
    {
        Host = host;
        _binding = binding;
        Id = id;
        _peer = peer;
        ConnectedAtUtcTicks = DateTime.UtcNow.Ticks;
        LastActivity = Environment.TickCount64;
    }

    public ServerHost Host { get; }

    public long Id { get; }

    public EndpointUrl Listener => _binding.BoundUrl;

    /// <summary>The listener the connection came in on, with its protocol factory.</summary>
    public ListenerBinding Binding => _binding;

    public long ConnectedAtUtcTicks { get; }

    public long BytesReceived;

    public long BytesSent;

    /// <summary>Environment.TickCount64 when bytes last moved either way: what the idle timeout measures.</summary>
    public long LastActivity;

    /// <summary>Set, on the connection's thread, when the slow-consumer rule cut it: logged as such and told to the protocol.</summary>
    public bool CutAsSlowConsumer;

    public string Peer => _peer.Format(Listener);

    public EndPoint? RemoteEndPoint => _peer.ToEndPoint(Listener);

    public virtual EndPoint? LocalEndPoint => Listener.ToEndPoint();

    public ConnectionInfo ToInfo() => new(
        Id, Peer, Listener, new DateTimeOffset(ConnectedAtUtcTicks, TimeSpan.Zero),
        Volatile.Read(ref BytesReceived), Volatile.Read(ref BytesSent));

    public IConnectionProtocol CreateProtocol() => _binding.CreateProtocol(this);

    public abstract int PendingOutputBytes { get; }

    public abstract void Advance(int count);

    public abstract Memory<byte> GetMemory(int sizeHint = 0);

    public abstract Span<byte> GetSpan(int sizeHint = 0);

    public abstract void Write(ReadOnlySpan<byte> data);

    public abstract void ShutdownSend();

    public abstract void Close(string? reason = null);

    public abstract void Abort(string reason);

    public abstract void PauseReading();

    public abstract void ResumeReading();

    public bool Post(Action<IConnection, object?> callback, object? state) => Post(callback, state, null);

    public abstract bool Post(Action<IConnection, object?> callback, object? state, Action<object?>? dropped);

    public abstract ValueTask<bool> WriteAsync(ReadOnlyMemory<byte> data, CancellationToken cancellationToken = default);

    /// <summary>Whether <see cref="ShutdownSend"/> can end output while input goes on (every transport but Kestrel's).</summary>
    public virtual bool CanHalfClose => true;

    /// <summary>The protocol the transport calls now.</summary>
    protected abstract IConnectionProtocol? CurrentProtocol { get; set; }

    /// <summary>
    /// The stream path of <see cref="IConnection.RelayTo"/>, for any transport: the target through
    /// <see cref="SocketClient.ConnectAsync"/>, and a protocol of the relay's own in place of the current one, which it
    /// still tells of the close. The epoll transport carries tcp:// and unix:// targets on its loop instead.
    /// </summary>
    public virtual void RelayTo(EndpointUrl target, RelayOptions? options = null)
    {
        options ??= new RelayOptions();
        SocketClient.ValidateStream(target, options.Connect);
        if (CurrentProtocol is StreamRelay)
        {
            throw new InvalidOperationException($"connection {Id} already relays");
        }

        var relay = new StreamRelay(this, CurrentProtocol, target, options);
        CurrentProtocol = relay;
        relay.Start();
    }

    /// <summary>
    /// Tells <see cref="ServerHost.Traffic"/> of a chunk; the caller has checked that there is one. Kept out of line so that
    /// the transports' hot paths carry only the null check.
    /// </summary>
    [System.Runtime.CompilerServices.MethodImpl(System.Runtime.CompilerServices.MethodImplOptions.NoInlining)]
    public void ObserveTraffic(Streams.TrafficDirection direction, long offset, ReadOnlySpan<byte> data)
    {
        try
        {
            Host.Traffic!.OnTraffic(this, direction, offset, data);
        }
        catch (Exception ex)
        {
            ServerLog.TrafficObserverFailed(Host.Logger, Id, Peer, ex);
        }
    }

    /// <summary>Reading a descriptor on the connection's thread: only the epoll transport has a loop to do it in.</summary>
    public virtual IAttachedDescriptor AttachDescriptor(System.Runtime.InteropServices.SafeHandle descriptor, IDescriptorHandler handler) =>
        throw new NotSupportedException($"the {GetType().Name} transport cannot read descriptors on its own thread");

    /// <summary>Writing a descriptor on the connection's thread: only the epoll transport has a loop to do it in.</summary>
    public virtual IDescriptorWriter AttachWritableDescriptor(System.Runtime.InteropServices.SafeHandle descriptor) =>
        throw new NotSupportedException($"the {GetType().Name} transport cannot write descriptors on its own thread");

    /// <summary>Lending the socket to a process: only the epoll transport's connections are plain sockets of their own.</summary>
    public virtual Microsoft.Win32.SafeHandles.SafeFileHandle LendSocket() =>
        throw new NotSupportedException($"the {GetType().Name} transport cannot lend its socket");

    /// <summary>Closes from outside the protocol's calls (idle timeout, shutdown); thread-safe.</summary>
    public abstract void Terminate(string reason);

    /// <summary>Hands a posted callback's state back to its owner: the callback will not run.</summary>
    protected void Release(Action<object?>? dropped, object? state)
    {
        if (dropped is null)
        {
            return;
        }

        try
        {
            dropped(state);
        }
        catch (Exception ex)
        {
            ServerLog.PostReleaseFailed(Host.Logger, Id, Peer, ex);
        }
    }

    /// <summary>Tells the protocol the connection is gone (after the registry and the log know): the slow-consumer cut first, if that was why.</summary>
    protected void NotifyClosed(IConnectionProtocol? protocol, string? reason)
    {
        if (protocol is null)
        {
            return;
        }

        try
        {
            if (CutAsSlowConsumer)
            {
                protocol.OnSlowConsumer(this, Host.SlowConsumerLimitBytes);
            }

            protocol.OnClosed(this, reason);
        }
        catch (Exception ex)
        {
            ServerLog.ProtocolFailed(Host.Logger, Id, Peer, ex);
        }
    }
}
