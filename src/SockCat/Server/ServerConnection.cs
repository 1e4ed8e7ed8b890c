using System.Net;
using SockCat.Endpoints;

namespace SockCat.Server;

/// <summary>
/// What every transport's connection shares: identity, the peer, and the registry's counters. The counters are plain
/// fields written only by the connection's own thread (no lock, no interlocked op per message); a registry snapshot
/// reads them racily, which on 64-bit is a slightly stale but never torn value.
/// </summary>
internal abstract class ServerConnection : IConnection
{
    private readonly PeerAddress _peer;

    protected ServerConnection(long id, EndpointUrl listener, PeerAddress peer)
    {
        Id = id;
        Listener = listener;
        _peer = peer;
        ConnectedAtUtcTicks = DateTime.UtcNow.Ticks;
        LastActivity = Environment.TickCount64;
    }

    public long Id { get; }

    public EndpointUrl Listener { get; }

    public long ConnectedAtUtcTicks { get; }

    public long BytesReceived;

    public long BytesSent;

    /// <summary>Environment.TickCount64 when bytes last moved either way: what the idle timeout measures.</summary>
    public long LastActivity;

    public string Peer => _peer.Format(Listener);

    public EndPoint? RemoteEndPoint => _peer.ToEndPoint(Listener);

    public virtual EndPoint? LocalEndPoint => Listener.ToEndPoint();

    public ConnectionInfo ToInfo() => new(
        Id, Peer, Listener, new DateTimeOffset(ConnectedAtUtcTicks, TimeSpan.Zero),
        Volatile.Read(ref BytesReceived), Volatile.Read(ref BytesSent));

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

    public abstract bool Post(Action<IConnection, object?> callback, object? state);

    /// <summary>Closes from outside the protocol's calls (idle timeout, shutdown); thread-safe.</summary>
    public abstract void Terminate(string reason);
}
