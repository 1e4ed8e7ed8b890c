using System.Collections.Concurrent;

namespace SockCat.Services.Chat.Irc;

/// <summary>
/// The PING/PONG timer, one sweep for every IRC connection rather than a timer each: a registered client silent for
/// <see cref="IrcOptions.PingInterval"/> is sent a PING, and one that stays silent as long again is closed as a dead peer.
/// The sweep only reads each connection's timestamps; it posts to a connection (which acts on its own thread) only when
/// something is due, so an idle server with thousands of clients costs a scan per tick, not a post each.
/// </summary>
internal sealed class IrcKeepAlive
{
    private readonly ConcurrentDictionary<IrcProtocol, byte> _clients = new();
    private readonly Lock _timerLock = new();
    private readonly TimeProvider _time;
    private readonly TimeSpan _period;
    private ITimer? _timer;

    public IrcKeepAlive(TimeSpan pingInterval, TimeProvider time)
    {
        ArgumentOutOfRangeException.ThrowIfLessThanOrEqual(pingInterval, TimeSpan.Zero);
        _time = time;
        PingIntervalTicks = (long)(pingInterval.TotalSeconds * time.TimestampFrequency);

        // A quarter of the interval, so a deadline is acted on at most a quarter late; at least every second.
        _period = TimeSpan.FromTicks(Math.Clamp(pingInterval.Ticks / 4, TimeSpan.TicksPerMillisecond * 10, TimeSpan.TicksPerSecond));
    }

    /// <summary>The silence before a PING, and after it before the close, in <see cref="TimeProvider.GetTimestamp"/> ticks.</summary>
    public long PingIntervalTicks { get; }

    /// <summary>Now, in <see cref="TimeProvider.GetTimestamp"/> ticks.</summary>
    public long Now => _time.GetTimestamp();

    /// <summary>Whole seconds in <paramref name="ticks"/>, for the reasons given to users.</summary>
    public long Seconds(long ticks) => ticks / _time.TimestampFrequency;

    /// <summary>Starts watching a connection (and the sweep, with the first).</summary>
    public void Add(IrcProtocol client)
    {
        _clients.TryAdd(client, 0);
        lock (_timerLock)
        {
            _timer ??= _time.CreateTimer(static state => ((IrcKeepAlive)state!).Sweep(), this, _period, _period);
        }
    }

    /// <summary>Stops watching a connection (and the sweep, with the last).</summary>
    public void Remove(IrcProtocol client)
    {
        _clients.TryRemove(client, out _);
        lock (_timerLock)
        {
            if (_clients.IsEmpty && _timer is not null)
            {
                _timer.Dispose();
                _timer = null;
            }
        }
    }

    /// <summary>One pass over every connection: each checks its own deadline against now.</summary>
    internal void Sweep()
    {
        var now = Now;
        foreach (var client in _clients.Keys)
        {
            client.CheckDeadline(now);
        }
    }
}
