using System.Collections.Concurrent;

namespace SockCat.Server;

/// <summary>
/// The connections a <see cref="SockCatServer"/> holds, on every listener and transport: how many, who, since when,
/// and the bytes each has moved. Every service uses it; <c>sockcat</c>'s log lines count from it.
/// </summary>
public sealed class ConnectionRegistry
{
    private readonly ConcurrentDictionary<long, ServerConnection> _open = new();
    private long _nextId;
    private int _count;
    private long _accepted;
    private long _closedBytesReceived;
    private long _closedBytesSent;

    internal ConnectionRegistry()
    {
    }

    /// <summary>Connections open now.</summary>
    public int Count => Volatile.Read(ref _count);

    /// <summary>Connections accepted since the server started.</summary>
    public long TotalAccepted => Interlocked.Read(ref _accepted);

    /// <summary>Bytes received on every connection, closed or open.</summary>
    public long BytesReceived => Interlocked.Read(ref _closedBytesReceived) + _open.Values.Sum(c => Volatile.Read(ref c.BytesReceived));

    /// <summary>Bytes sent on every connection, closed or open.</summary>
    public long BytesSent => Interlocked.Read(ref _closedBytesSent) + _open.Values.Sum(c => Volatile.Read(ref c.BytesSent));

    /// <summary>The open connections, ordered by id (by arrival). Each call makes a new list: not for hot paths.</summary>
    public IReadOnlyList<ConnectionInfo> GetSnapshot()
    {
        var list = _open.Values.Select(c => c.ToInfo()).ToList();
        list.Sort((a, b) => a.Id.CompareTo(b.Id));
        return list;
    }

    /// <summary>The connection with <paramref name="id"/>, if it is open.</summary>
    public bool TryGet(long id, out ConnectionInfo info)
    {
        if (_open.TryGetValue(id, out var connection))
        {
            info = connection.ToInfo();
            return true;
        }

        info = default;
        return false;
    }

    internal long NextId() => Interlocked.Increment(ref _nextId);

    /// <summary>Takes a place for a new connection if fewer than <paramref name="max"/> are open; returns the new count or 0.</summary>
    internal int TryReserve(int max)
    {
        while (true)
        {
            var count = Volatile.Read(ref _count);
            if (count >= max)
            {
                return 0;
            }

            if (Interlocked.CompareExchange(ref _count, count + 1, count) == count)
            {
                return count + 1;
            }
        }
    }

    /// <summary>Gives back a reserved place for a connection that never opened (its TLS handshake failed).</summary>
    internal void Unreserve() => Interlocked.Decrement(ref _count);

    internal void Add(ServerConnection connection)
    {
        _open[connection.Id] = connection;
        Interlocked.Increment(ref _accepted);
    }

    /// <summary>Removes a connection whose place was reserved; returns the count left.</summary>
    internal int Remove(ServerConnection connection)
    {
        if (_open.TryRemove(connection.Id, out _))
        {
            Interlocked.Add(ref _closedBytesReceived, Volatile.Read(ref connection.BytesReceived));
            Interlocked.Add(ref _closedBytesSent, Volatile.Read(ref connection.BytesSent));
        }

        return Interlocked.Decrement(ref _count);
    }

    internal IEnumerable<ServerConnection> Open => _open.Values;
}
