using System.Collections.Concurrent;
using System.Net;
using SockCat.Server;

namespace SockCat.Services.Chat;

/// <summary>
/// A registered user of a <see cref="ChatHub"/>: one connection, whatever its protocol. Made by <see cref="ChatHub.Register"/>;
/// gone after <see cref="ChatHub.Quit"/>. Its properties may be read from any thread (each is a snapshot); it changes only
/// through the hub's operations.
/// <para>
/// Delivery: other users' events are queued in the user's outbox and drained by one posted callback at a time
/// (<see cref="IConnection.Post(Action{IConnection, object}, object, Action{object})"/>), so a burst from many senders costs
/// one post and one send, and no lock is held while the protocol writes. As <c>BrokerProtocol</c> does.
/// </para>
/// </summary>
internal sealed class ChatUser
{
    private static readonly Action<IConnection, object?> DrainCallback = static (_, state) => ((ChatUser)state!).Drain();

    // A drain that cannot run (the connection closed first) hands the outbox's events back to the pool.
    private static readonly Action<object?> DrainDropped = static state => ((ChatUser)state!).ReleaseOutbox();

    private readonly ConcurrentQueue<ChatEvent> _outbox = new();
    private readonly IChatClient _client;
    private int _drainPosted;
    private volatile bool _gone;
    private string _nick;
    private string? _away;
    private ChatRoom[] _rooms = [];

    // Flood control, touched only on the user's own thread (in its operations).
    private double _floodTokens;
    private long _floodStamp;
    private bool _floodWarned;
    private int _floodDropped;

    internal ChatUser(ChatHub hub, IConnection connection, IChatClient client, string nick, string userName, string realName)
    {
        Hub = hub;
        Id = hub.NextUserId();
        Connection = connection;
        _client = client;
        _nick = nick;
        UserName = userName;
        RealName = realName;
        Host = HostOf(connection.RemoteEndPoint);
        Since = DateTimeOffset.UtcNow;
        _floodTokens = hub.Options.FloodBurst;
        _floodStamp = Environment.TickCount64;
    }

    // A user of another node, as this node shows it (a message's source, a room's member): no connection, nothing is
    // ever queued for it (it is gone from the start, so Enqueue and DeliverNow drop).
    internal ChatUser(ChatHub hub, string nick, string userName, string host)
    {
        Hub = hub;
        Connection = null!;
        _client = null!;
        _nick = nick;
        UserName = userName;
        RealName = "";
        Host = host;
        Since = DateTimeOffset.UtcNow;
        IsRemote = true;
        _gone = true;
    }

    /// <summary>The user's number on this node (for the bus: its own room messages come back without the sender).</summary>
    internal long Id { get; }

    /// <summary>True for a user of another node, as a message's source or a room's member.</summary>
    internal bool IsRemote { get; }

    /// <summary>The hub the user is registered with.</summary>
    public ChatHub Hub { get; }

    /// <summary>The user's connection.</summary>
    public IConnection Connection { get; }

    /// <summary>The user's nick now, as the user spelled it.</summary>
    public string Nick => Volatile.Read(ref _nick);

    /// <summary>IRC's user name (from USER); the line protocol uses the nick it registered with.</summary>
    public string UserName { get; }

    /// <summary>IRC's real name (from USER); empty for the line protocol.</summary>
    public string RealName { get; }

    /// <summary>The peer's address as others see it: the IP address, or <c>localhost</c> for a unix socket.</summary>
    public string Host { get; }

    /// <summary>When the user registered.</summary>
    public DateTimeOffset Since { get; }

    /// <summary>The away message (IRC AWAY), or null when the user is here.</summary>
    public string? Away => Volatile.Read(ref _away);

    /// <summary>The rooms the user is in now: a snapshot.</summary>
    public IReadOnlyList<ChatRoom> Rooms => Volatile.Read(ref _rooms);

    /// <summary>False once the user has quit.</summary>
    public bool IsRegistered => !_gone;

    // Rooms that invited the user and that it has not joined since. Under the hub's lock.
    internal HashSet<ChatRoom> InvitedTo { get; } = [];

    internal ChatRoom[] RoomArray
    {
        get => Volatile.Read(ref _rooms);
        set => Volatile.Write(ref _rooms, value);
    }

    internal void SetNick(string nick) => Volatile.Write(ref _nick, nick);

    internal void SetAway(string? away) => Volatile.Write(ref _away, away);

    internal bool IsIn(ChatRoom room) => Array.IndexOf(RoomArray, room) >= 0;

    /// <summary>Marks the user gone: nothing is queued for it from now on.</summary>
    internal void MarkGone()
    {
        _gone = true;
        ReleaseOutbox();
    }

    /// <summary>Queues <paramref name="e"/> for the user (taking a reference) and posts a drain unless one is pending. Any thread.</summary>
    internal void Enqueue(ChatEvent e)
    {
        if (_gone)
        {
            return;
        }

        e.AddReference();
        _outbox.Enqueue(e);
        // A refused post (the connection closed meanwhile) has released the outbox through DrainDropped, and leaves
        // _drainPosted set, so nothing is posted again. The user is NOT marked gone here: the engine marks a connection
        // closed before it tells the protocol, whose OnClosed (or OnSlowConsumer) then quits the user through the hub, and
        // that quit must still happen and be announced. Events queued until then wait in the outbox; MarkGone releases them.
        if (Interlocked.Exchange(ref _drainPosted, 1) == 0)
        {
            Connection.Post(DrainCallback, this, DrainDropped);
        }
    }

    /// <summary>
    /// Delivers <paramref name="e"/> now, on the user's own thread (inside its protocol's call), after whatever was queued
    /// for it before, so the user sees its own operation's event in order and before the operation's replies.
    /// </summary>
    internal void DeliverNow(ChatEvent e)
    {
        if (_gone)
        {
            return;
        }

        Drain();
        _client.OnChatEvent(this, e);
    }

    /// <summary>
    /// Takes one message's token from the user's bucket (<see cref="ChatOptions.FloodMessagesPerSecond"/>, up to
    /// <see cref="ChatOptions.FloodBurst"/> at once): Ok, or Flooding once, then FloodDisconnect when the user goes on
    /// for another burst's worth after the warning.
    /// </summary>
    internal ChatResult TakeFloodToken()
    {
        var options = Hub.Options;
        if (options.FloodMessagesPerSecond <= 0)
        {
            return ChatResult.Ok;
        }

        var now = Environment.TickCount64;
        _floodTokens = Math.Min(options.FloodBurst, _floodTokens + (now - _floodStamp) * options.FloodMessagesPerSecond / 1000.0);
        _floodStamp = now;
        if (_floodTokens >= 1)
        {
            _floodTokens -= 1;
            if (_floodTokens >= options.FloodBurst / 2.0)
            {
                // Back under the rate for a while: the next flood is warned again.
                _floodWarned = false;
                _floodDropped = 0;
            }

            return ChatResult.Ok;
        }

        if (!_floodWarned)
        {
            _floodWarned = true;
            return ChatResult.Flooding;
        }

        return ++_floodDropped > options.FloodBurst ? ChatResult.FloodDisconnect : ChatResult.Flooding;
    }

    private void Drain()
    {
        // Cleared before draining: an event queued from here on either is delivered below or posts a drain of its own.
        Volatile.Write(ref _drainPosted, 0);
        while (_outbox.TryDequeue(out var e))
        {
            try
            {
                if (!_gone)
                {
                    _client.OnChatEvent(this, e);
                }
            }
            finally
            {
                e.Release();
            }
        }
    }

    private void ReleaseOutbox()
    {
        while (_outbox.TryDequeue(out var e))
        {
            e.Release();
        }
    }

    private static string HostOf(EndPoint? endPoint) => endPoint switch
    {
        IPEndPoint ip => ip.Address.IsIPv4MappedToIPv6 ? ip.Address.MapToIPv4().ToString() : ip.Address.ToString(),
        _ => "localhost",
    };
}
