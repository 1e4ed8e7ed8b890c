using Microsoft.Extensions.Logging;
using SockCat.Redis.Internal;
using SockCat.Services.Chat;
using StackExchange.Redis;

namespace SockCat.Redis;

// The other nodes: heartbeats, goodbyes and silence on the nodes channel; Redis lost and regained.
public sealed partial class RedisChatBus
{
    // After a reconnection: subscriptions that failed while Redis was away, claims (Redis may have restarted empty).
    private async Task RestoreAsync()
    {
        if (!_redis.IsConnected || !_subscriber.IsConnected(_ownChannel))
        {
            return;   // the next ConnectionRestored comes back here
        }

        foreach (var room in _wantedRooms.Where(r => !_rooms.ContainsKey(r)).ToList())
        {
            await SubscribeRoomAsync(room).ConfigureAwait(false);
        }

        await RenewAsync().ConfigureAwait(false);
        SetConnected(true, null);
        await _subscriber.PublishAsync(_nodesChannel, $"hello {NodeId} {(long)_options.ClaimExpiry.TotalMilliseconds}").ConfigureAwait(false);
    }

    // Every third of the claim's expiry: renew the claims, say this node is alive, drop nodes silent for a whole expiry.
    private async Task RenewLoopAsync()
    {
        using var timer = new PeriodicTimer(_options.ClaimExpiry / 3);
        try
        {
            while (await timer.WaitForNextTickAsync(_stopping.Token).ConfigureAwait(false))
            {
                if (!_redis.IsConnected)
                {
                    continue;
                }

                if (!_connected)
                {
                    Queue(RestoreAsync);   // a ConnectionRestored missed, or one that came before the subscriptions were back
                }

                Queue(RenewAsync);
                Queue(() => _subscriber.PublishAsync(_nodesChannel, $"alive {NodeId} {(long)_options.ClaimExpiry.TotalMilliseconds}"));
                var now = Environment.TickCount64;
                foreach (var (node, seen) in _nodesSeen)
                {
                    if (seen.Seen < now - seen.Expiry && _nodesSeen.TryRemove(new KeyValuePair<string, (long, long)>(node, seen)))
                    {
                        RedisChatLog.NodeGone(_logger, node, "silent");
                        _receiver?.OnNodeGone(node);
                    }
                }
            }
        }
        catch (OperationCanceledException)
        {
        }
    }

    private void SetConnected(bool connected, string? reason)
    {
        lock (_stateLock)
        {
            if (_connected == connected || _disposed != 0)
            {
                return;
            }

            _connected = connected;
            if (connected)
            {
                RedisChatLog.Restored(_logger);
            }
            else
            {
                RedisChatLog.Lost(_logger, reason ?? "connection lost");
                // Every node is new again once Redis is back: each then tells the others its rooms' members.
                _nodesSeen.Clear();
            }

            _receiver?.OnConnectionChanged(connected, reason);
        }
    }

    private void Seen(string node, long expiry = 0)
    {
        if (node == NodeId || !_connected)
        {
            return;
        }

        var known = _nodesSeen.TryGetValue(node, out var before);
        // Until a node's heartbeat says its expiry, this node's own stands in for it.
        expiry = expiry > 0 ? expiry : known ? before.Expiry : (long)_options.ClaimExpiry.TotalMilliseconds;
        _nodesSeen[node] = (Environment.TickCount64, expiry);
        if (!known)
        {
            _receiver?.OnNodeSeen(node);
        }
    }

    private void OnNodesMessage(RedisValue value)
    {
        var text = (string?)value ?? "";
        var space = text.IndexOf(' ');
        if (space < 0)
        {
            return;
        }

        // "hello NODE", "alive NODE EXPIRY_MS", "bye NODE"
        var words = text[(space + 1)..].Split(' ');
        var node = words[0];
        if (text.StartsWith("bye ", StringComparison.Ordinal))
        {
            if (_nodesSeen.TryRemove(node, out _))
            {
                RedisChatLog.NodeGone(_logger, node, "stopped");
            }

            _receiver?.OnNodeGone(node);
        }
        else
        {
            Seen(node, words.Length > 1 && long.TryParse(words[1], out var expiry) ? expiry : 0);
        }
    }
}
