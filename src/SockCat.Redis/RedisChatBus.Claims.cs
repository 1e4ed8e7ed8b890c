using Microsoft.Extensions.Logging;
using SockCat.Redis.Internal;
using SockCat.Services.Chat;
using StackExchange.Redis;

namespace SockCat.Redis;

// Nicks: claimed, renewed and released in Redis, each a key holding the node's name with an expiry.
public sealed partial class RedisChatBus
{
    // Claims or renews: the nick's key is set to this node when free or already this node's, with a fresh expiry.
    private const string ClaimScript = """
        local v = redis.call('GET', KEYS[1])
        if v == ARGV[1] then redis.call('PEXPIRE', KEYS[1], ARGV[2]) return 1 end
        if not v then redis.call('SET', KEYS[1], ARGV[1], 'PX', ARGV[2]) return 1 end
        return 0
        """;

    private const string ReleaseScript = """
        if redis.call('GET', KEYS[1]) == ARGV[1] then return redis.call('DEL', KEYS[1]) end
        return 0
        """;

    /// <inheritdoc />
    public void ClaimNick(string nick)
    {
        _claims[nick] = 0;
        Queue(() => ClaimAsync(nick));
    }

    /// <inheritdoc />
    public void ReleaseNick(string nick)
    {
        _claims.TryRemove(nick, out _);
        Queue(() => _database.ScriptEvaluateAsync(ReleaseScript, [NickKey(nick)], [NodeId]));
    }

    private async Task ClaimAsync(string nick)
    {
        if (!_claims.ContainsKey(nick))
        {
            return;   // released since
        }

        var claimed = (int)await _database.ScriptEvaluateAsync(ClaimScript, [NickKey(nick)], [NodeId, (long)_options.ClaimExpiry.TotalMilliseconds]).ConfigureAwait(false);
        if (claimed == 0 && _claims.TryRemove(nick, out _))
        {
            RedisChatLog.NickRefused(_logger, nick);
            _receiver?.OnNickRefused(nick);
        }
    }

    private async Task RenewAsync()
    {
        var expiry = (long)_options.ClaimExpiry.TotalMilliseconds;
        var nicks = _claims.Keys.ToArray();
        var results = await Task.WhenAll(nicks.Select(n => _database.ScriptEvaluateAsync(ClaimScript, [NickKey(n)], [NodeId, expiry]))).ConfigureAwait(false);
        for (var i = 0; i < nicks.Length; i++)
        {
            if ((int)results[i] == 0 && _claims.TryRemove(nicks[i], out _))
            {
                RedisChatLog.NickRefused(_logger, nicks[i]);
                _receiver?.OnNickRefused(nicks[i]);
            }
        }
    }
}
