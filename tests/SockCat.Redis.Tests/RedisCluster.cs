using System.Diagnostics;

namespace SockCat.Redis.Tests;

/// <summary>A real Redis Cluster of three masters (no replicas) from redis-server processes on free loopback ports.</summary>
internal sealed class RedisCluster : IAsyncDisposable
{
    private RedisCluster(RedisServer[] servers) => Servers = servers;

    public RedisServer[] Servers { get; }

    /// <summary>The seeds, as --redis takes them.</summary>
    public string Url => "redis://" + string.Join(",", Servers.Select(s => $"127.0.0.1:{s.Port}"));

    public static async Task<RedisCluster> StartAsync()
    {
        var servers = new RedisServer[3];
        for (var i = 0; i < servers.Length; i++)
        {
            servers[i] = await RedisServer.StartAsync("--cluster-enabled", "yes", "--cluster-config-file", "nodes.conf", "--cluster-node-timeout", "5000");
        }

        var cluster = new RedisCluster(servers);
        var start = new ProcessStartInfo("redis-cli") { RedirectStandardOutput = true, RedirectStandardError = true, RedirectStandardInput = true };
        foreach (var arg in (string[])["--cluster", "create", .. servers.Select(s => $"127.0.0.1:{s.Port}"), "--cluster-replicas", "0", "--cluster-yes"])
        {
            start.ArgumentList.Add(arg);
        }

        using (var create = Process.Start(start)!)
        {
            create.StandardInput.Close();
            var output = await create.StandardOutput.ReadToEndAsync().WaitAsync(TimeSpan.FromSeconds(30));
            await create.WaitForExitAsync().WaitAsync(TimeSpan.FromSeconds(30));
            Assert.True(create.ExitCode == 0, $"redis-cli --cluster create failed:\n{output}");
        }

        // Every master agrees the cluster is up (all 16384 slots served) before a client is pointed at it.
        using var cts = new CancellationTokenSource(TimeSpan.FromSeconds(30));
        foreach (var server in servers)
        {
            while (!(await server.CliAsync("cluster", "info")).Contains("cluster_state:ok", StringComparison.Ordinal))
            {
                await Task.Delay(100, cts.Token);
            }
        }

        return cluster;
    }

    public async ValueTask DisposeAsync()
    {
        foreach (var server in Servers)
        {
            await server.DisposeAsync();
        }
    }
}
