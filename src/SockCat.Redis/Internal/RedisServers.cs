using StackExchange.Redis;

namespace SockCat.Redis.Internal;

// "redis://host:port" or a comma list of seeds, "redis://h1:7000,h2:7001" (each may carry redis:// or not).
internal static class RedisServers
{
    public const int DefaultPort = 6379;

    public static ConfigurationOptions Parse(string text)
    {
        var options = new ConfigurationOptions();
        foreach (var part in text.Split(',', StringSplitOptions.TrimEntries))
        {
            var entry = part.StartsWith("redis://", StringComparison.OrdinalIgnoreCase) ? part["redis://".Length..] : part;
            entry = entry.TrimEnd('/');
            if (entry.Length == 0 || entry.Contains('/') || entry.Contains('@') || entry.Contains("://", StringComparison.Ordinal))
            {
                throw new FormatException($"'{part}' is not a Redis address; write redis://HOST:PORT, or a comma list of them for a cluster, e.g. redis://127.0.0.1:6379");
            }

            var colon = entry.LastIndexOf(':');
            var host = colon < 0 ? entry : entry[..colon];
            var port = DefaultPort;
            if (colon >= 0 && (!int.TryParse(entry[(colon + 1)..], out port) || port is < 1 or > 65535))
            {
                throw new FormatException($"'{part}' has no valid port; write redis://HOST:PORT, e.g. redis://127.0.0.1:6379");
            }

            options.EndPoints.Add(host.Trim('[', ']'), port);
        }

        return options;
    }
}
