using System.Collections.Concurrent;
using System.Text.Json;
using System.Threading.Channels;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Abstractions;
using SockCat.Redis.Internal;
using SockCat.Services.Chat;
using StackExchange.Redis;

namespace SockCat.Redis;

/// <summary>
/// Joins chat nodes (each a <see cref="ChatHub"/> with its own users) into one chat through Redis or a Redis Cluster, with
/// StackExchange.Redis: pass it to the hub's constructor.
/// <code>
/// await using var bus = await RedisChatBus.ConnectAsync("redis://127.0.0.1:6379");
/// var chat = new ChatService(new ChatHub(new ChatOptions(), bus));
/// </code>
/// <para>
/// Each room is one pub/sub channel (sharded pub/sub on a cluster, so rooms spread over its shards), which gives every node
/// the room's messages in one order. Private messages go to the channel of the node that holds the recipient's nick. A
/// nick is claimed with <c>SET NX</c> and an expiry the node renews; a node that stops renewing frees its nicks within
/// <see cref="RedisChatBusOptions.ClaimExpiry"/>. The layout is in docs/chat.md ("Several nodes").
/// </para>
/// <para>
/// Nothing here blocks the hub's callers: publishing is fire-and-forget, and claims, subscriptions and look-ups are done
/// in order by one worker off the engine's loop threads. When Redis goes away the hub is told and serves its own users;
/// when it is back the node re-claims its nicks and the nodes tell each other their rooms' members again.
/// </para>
/// </summary>
public sealed partial class RedisChatBus : IChatBus, IAsyncDisposable
{
    private readonly ConnectionMultiplexer _redis;
    private readonly ISubscriber _subscriber;
    private readonly IDatabase _database;
    private readonly RedisChatBusOptions _options;
    private readonly ILogger _logger;
    private readonly bool _sharded;
    private readonly string _servers;
    private readonly RedisChannel _nodesChannel;
    private readonly RedisChannel _ownChannel;
    private readonly Channel<Func<Task>> _work = System.Threading.Channels.Channel.CreateUnbounded<Func<Task>>(new UnboundedChannelOptions { SingleReader = true });
    private readonly ConcurrentDictionary<string, byte> _claims = new(StringComparer.Ordinal);
    // Each other node: when it was last heard from, and its claims' expiry (it is gone when silent that long).
    private readonly ConcurrentDictionary<string, (long Seen, long Expiry)> _nodesSeen = new(StringComparer.Ordinal);
    private readonly ConcurrentDictionary<string, byte> _subscribing = new(StringComparer.Ordinal);
    private readonly Dictionary<string, ChannelMessageQueue> _rooms = new(StringComparer.Ordinal);   // the worker's
    private readonly HashSet<string> _wantedRooms = new(StringComparer.Ordinal);                        // the worker's
    private readonly CancellationTokenSource _stopping = new();
    private readonly Lock _stateLock = new();
    private IChatBusReceiver? _receiver;
    private ChannelMessageQueue? _nodesQueue;
    private ChannelMessageQueue? _ownQueue;
    private Task _worker = Task.CompletedTask;
    private Task _timer = Task.CompletedTask;
    private volatile bool _connected = true;
    private int _disposed;

    private RedisChatBus(ConnectionMultiplexer redis, RedisChatBusOptions options, ILogger logger, string servers)
    {
        _redis = redis;
        _options = options;
        _logger = logger;
        _servers = servers;
        _subscriber = redis.GetSubscriber();
        _database = redis.GetDatabase();
        NodeId = options.NodeId ?? $"{Environment.MachineName}-{Guid.NewGuid().ToString("N")[..8]}";
        _sharded = redis.GetEndPoints().Select(e => redis.GetServer(e)).Any(s => s.ServerType == ServerType.Cluster);
        _nodesChannel = Channel($"{options.Prefix}:nodes");
        _ownChannel = Channel($"{options.Prefix}:node:{NodeId}");
    }

    /// <inheritdoc />
    public string NodeId { get; }

    /// <inheritdoc />
    public bool IsConnected => _connected;

    /// <summary>True when the bus speaks to a Redis Cluster (rooms on sharded pub/sub), false for a single Redis.</summary>
    public bool IsCluster => _sharded;

    /// <summary>
    /// Connects to Redis at <paramref name="servers"/>: <c>redis://HOST:PORT</c>, or a comma list of seeds for a Redis
    /// Cluster (<c>redis://127.0.0.1:7000,127.0.0.1:7001</c>). Throws <see cref="FormatException"/> for an address that is
    /// not one, and <see cref="IOException"/> when Redis cannot be reached within
    /// <see cref="RedisChatBusOptions.ConnectTimeout"/>. Once connected, the bus rides out Redis going away and coming back.
    /// </summary>
    /// <param name="servers">The Redis address, or the cluster's seeds.</param>
    /// <param name="options">The bus's settings; defaults to <see cref="RedisChatBusOptions"/>' defaults.</param>
    /// <param name="loggerFactory">Where the bus logs losing and regaining Redis; none by default.</param>
    /// <param name="cancellationToken">Stops waiting for Redis.</param>
    public static async Task<RedisChatBus> ConnectAsync(string servers, RedisChatBusOptions? options = null, ILoggerFactory? loggerFactory = null, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(servers);
        options ??= new RedisChatBusOptions();
        ArgumentOutOfRangeException.ThrowIfLessThan(options.ClaimExpiry, TimeSpan.FromMilliseconds(300), nameof(RedisChatBusOptions.ClaimExpiry));
        var configuration = RedisServers.Parse(servers);
        var shown = string.Join(",", configuration.EndPoints.Select(e => e.ToString()?.Replace("Unspecified/", "", StringComparison.Ordinal)));
        configuration.AbortOnConnectFail = false;
        // A publish while Redis is away fails at once rather than queueing without bound: the hub serves its own users then.
        configuration.BacklogPolicy = BacklogPolicy.FailFast;
        configuration.ConnectTimeout = (int)options.ConnectTimeout.TotalMilliseconds;
        configuration.ReconnectRetryPolicy = new LinearRetry(500);
        configuration.ClientName = "sockcat-chat";
        var logger = loggerFactory?.CreateLogger("SockCat.Redis") ?? NullLogger.Instance;
        var redis = await ConnectionMultiplexer.ConnectAsync(configuration).WaitAsync(cancellationToken).ConfigureAwait(false);
        if (!redis.IsConnected)
        {
            var status = redis.GetStatus();
            await redis.DisposeAsync().ConfigureAwait(false);
            throw new IOException($"cannot reach Redis at {shown}" + (status.Contains("refused", StringComparison.OrdinalIgnoreCase) ? " (connection refused)" : ""));
        }

        var bus = new RedisChatBus(redis, options, logger, shown);
        await bus.StartAsync().ConfigureAwait(false);
        return bus;
    }

    /// <inheritdoc />
    public void Attach(IChatBusReceiver receiver)
    {
        ArgumentNullException.ThrowIfNull(receiver);
        if (Interlocked.CompareExchange(ref _receiver, receiver, null) is not null)
        {
            throw new InvalidOperationException("A RedisChatBus serves one hub.");
        }
    }

    /// <inheritdoc />
    public void Subscribe(string room)
    {
        // Until the node listens to the room, what it publishes there waits behind the subscription: the answers to its
        // join (the other nodes' members) would otherwise come back before it listens.
        _subscribing[room] = 0;
        Queue(async () =>
        {
            try
            {
                await SubscribeRoomAsync(room).ConfigureAwait(false);
            }
            finally
            {
                _subscribing.TryRemove(room, out _);
            }
        });
    }

    /// <inheritdoc />
    public void Unsubscribe(string room) => Queue(() => UnsubscribeRoomAsync(room));

    /// <inheritdoc />
    public void PublishToRoom(string room, ChatBusMessage message)
    {
        var channel = Channel($"{_options.Prefix}:room:{room}");
        if (_subscribing.ContainsKey(room))
        {
            Queue(() =>
            {
                Publish(channel, message);
                return Task.CompletedTask;
            });
            return;
        }

        Publish(channel, message);
    }

    /// <inheritdoc />
    public void PublishToUser(string nick, ChatBusMessage message) => Queue(async () =>
    {
        var holder = await _database.StringGetAsync(NickKey(nick)).ConfigureAwait(false);
        if (holder.IsNull)
        {
            _receiver?.OnUndeliverable(message);
            return;
        }

        Publish(Channel($"{_options.Prefix}:node:{holder}"), message);
    });

    /// <summary>Leaves the chat: releases this node's nicks, tells the other nodes it is gone, and closes the connection.</summary>
    public async ValueTask DisposeAsync()
    {
        if (Interlocked.Exchange(ref _disposed, 1) != 0)
        {
            return;
        }

        await StopAsync().ConfigureAwait(false);
        if (_redis.IsConnected)
        {
            try
            {
                var nicks = _claims.Keys.ToArray();
                await Task.WhenAll(nicks.Select(n => _database.ScriptEvaluateAsync(ReleaseScript, [NickKey(n)], [NodeId]))).ConfigureAwait(false);
                await _subscriber.PublishAsync(_nodesChannel, $"bye {NodeId}").ConfigureAwait(false);
            }
            catch (Exception e) when (e is RedisException or TimeoutException)
            {
                RedisChatLog.CallFailed(_logger, e.Message);
            }
        }

        await _redis.DisposeAsync().ConfigureAwait(false);
    }

    /// <summary>
    /// False while this node's subscription to <paramref name="room"/> (folded) is being made: what other nodes publish
    /// there meanwhile (a join) does not reach it. For tests, which wait for it before another node acts in the room.
    /// </summary>
    internal bool IsSubscribing(string room) => _subscribing.ContainsKey(room);

    /// <summary>Drops the connection as a killed node would: no release, no goodbye (for tests of a node that dies).</summary>
    internal async ValueTask AbandonAsync()
    {
        Interlocked.Exchange(ref _disposed, 1);
        await StopAsync().ConfigureAwait(false);
        await _redis.CloseAsync(allowCommandsToComplete: false).ConfigureAwait(false);
        await _redis.DisposeAsync().ConfigureAwait(false);
    }

    private async Task StartAsync()
    {
        _nodesQueue = await _subscriber.SubscribeAsync(_nodesChannel).ConfigureAwait(false);
        _nodesQueue.OnMessage(m => OnNodesMessage(m.Message));
        _ownQueue = await _subscriber.SubscribeAsync(_ownChannel).ConfigureAwait(false);
        _ownQueue.OnMessage(m => OnBusMessage(m.Message));
        _redis.ConnectionFailed += (_, e) => SetConnected(false, $"{e.FailureType} at {e.EndPoint}");
        _redis.ConnectionRestored += (_, _) => Queue(RestoreAsync);
        _worker = Task.Run(WorkAsync);
        _timer = Task.Run(RenewLoopAsync);
        RedisChatLog.Connected(_logger, NodeId, _servers, _sharded ? "cluster, sharded pub/sub" : "single Redis");
        await _subscriber.PublishAsync(_nodesChannel, $"hello {NodeId} {(long)_options.ClaimExpiry.TotalMilliseconds}").ConfigureAwait(false);
    }

    private async Task StopAsync()
    {
        _stopping.Cancel();
        _work.Writer.TryComplete();
        await Task.WhenAll(_worker, _timer).ConfigureAwait(false);
    }

    private RedisChannel Channel(string name) => _sharded ? RedisChannel.Sharded(name) : RedisChannel.Literal(name);

    private RedisKey NickKey(string nick) => $"{_options.Prefix}:nick:{nick}";

    private void Queue(Func<Task> work) => _work.Writer.TryWrite(work);

    private void Publish(RedisChannel channel, ChatBusMessage message)
    {
        if (!_connected || _disposed != 0)
        {
            return;
        }

        try
        {
            var payload = JsonSerializer.SerializeToUtf8Bytes(message, ChatBusJson.Default.ChatBusMessage);
            // The async path, even fire-and-forget: the sync one may wait for the connection's write lock, and this runs on
            // an engine loop thread.
            _ = _subscriber.PublishAsync(channel, payload, CommandFlags.FireAndForget);
        }
        catch (Exception e) when (e is RedisException or TimeoutException or ObjectDisposedException)
        {
            RedisChatLog.CallFailed(_logger, e.Message);
        }
    }

    private async Task WorkAsync()
    {
        await foreach (var work in _work.Reader.ReadAllAsync().ConfigureAwait(false))
        {
            try
            {
                await work().ConfigureAwait(false);
            }
            catch (Exception e) when (e is RedisException or TimeoutException or ObjectDisposedException)
            {
                // Redis away: the renewal after it returns claims again, and RestoreAsync subscribes again.
                RedisChatLog.CallFailed(_logger, e.Message);
            }
        }
    }

    private async Task SubscribeRoomAsync(string room)
    {
        _wantedRooms.Add(room);
        if (_rooms.ContainsKey(room))
        {
            return;
        }

        var queue = await _subscriber.SubscribeAsync(Channel($"{_options.Prefix}:room:{room}")).ConfigureAwait(false);
        // One queue per room, read in order: the room's messages reach the hub in the order Redis published them.
        queue.OnMessage(m => OnBusMessage(m.Message));
        _rooms[room] = queue;
    }

    private async Task UnsubscribeRoomAsync(string room)
    {
        _wantedRooms.Remove(room);
        if (_rooms.Remove(room, out var queue))
        {
            await queue.UnsubscribeAsync().ConfigureAwait(false);
        }
    }

    private void OnBusMessage(RedisValue value)
    {
        ChatBusMessage? message;
        try
        {
            message = JsonSerializer.Deserialize((byte[])value!, ChatBusJson.Default.ChatBusMessage);
        }
        catch (JsonException e)
        {
            RedisChatLog.BadMessage(_logger, e.Message);
            return;
        }

        if (message is null || _receiver is not { } receiver)
        {
            return;
        }

        Seen(message.Node);
        receiver.OnMessage(message);
    }
}
