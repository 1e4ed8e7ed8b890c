namespace SockCat.Streams;

/// <summary>
/// Sees every chunk a bridge moves, as it moves (a traffic dump, a capture). Called on the direction's own task, one
/// call at a time per direction; the two directions may call at once. The data is lent for the call.
/// </summary>
public interface ITrafficObserver
{
    /// <summary>One chunk: <paramref name="direction"/> says whether it went to the peer or came from it.</summary>
    void OnTraffic(TrafficDirection direction, ReadOnlySpan<byte> data);
}

/// <summary>Which way a chunk went, seen from this side.</summary>
public enum TrafficDirection
{
    /// <summary>Written to the peer.</summary>
    Sent,

    /// <summary>Read from the peer.</summary>
    Received,
}
