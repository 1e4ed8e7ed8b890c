using System.Text;
using SockCat.Server;
using SockCat.Testing;

namespace SockCat.IntegrationTests.Server;

/// <summary>
/// <see cref="ServerOptions.BatchScheduling"/>: the epoll loop threads run under SCHED_BATCH when it is set, and under
/// the default policy when it is not, as the kernel reports for the thread a protocol is called on.
/// </summary>
public sealed class BatchSchedulingTests
{
    private static readonly TimeSpan Timeout = TimeSpan.FromSeconds(30);

    public static TheoryData<TestTransport> Epoll => [TestTransport.EpollTcp, TestTransport.EpollUnix];

    [Theory]
    [MemberData(nameof(Epoll))]
    public async Task BatchScheduling_Set_ProtocolsLoopThreadRunsUnderSchedBatch(TestTransport transport)
    {
        Assert.Equal("3 sockcat-epoll", await LoopPolicyAsync(transport, batch: true));
    }

    [Theory]
    [MemberData(nameof(Epoll))]
    public async Task BatchScheduling_Unset_ProtocolsLoopThreadRunsUnderTheDefaultPolicy(TestTransport transport)
    {
        Assert.Equal("0 sockcat-epoll", await LoopPolicyAsync(transport, batch: false));
    }

    private static async Task<string> LoopPolicyAsync(TestTransport transport, bool batch)
    {
        await using var server = await LoopbackServer.StartAsync(transport, _ => new PolicyProtocol(), o => o.BatchScheduling = batch);
        await using var client = await server.ConnectAsync();
        return Encoding.ASCII.GetString(await client.ReadToEndAsync(Timeout));
    }

    /// <summary>Writes the policy of the thread it is connected on (sched(7): 0 SCHED_OTHER, 3 SCHED_BATCH) and its name, and closes.</summary>
    private sealed class PolicyProtocol : IConnectionProtocol
    {
        public void OnConnected(IConnection connection)
        {
            // /proc/thread-self/stat: the policy is field 41, counted after the name in parentheses (which may hold spaces).
            var stat = File.ReadAllText("/proc/thread-self/stat");
            var fields = stat[(stat.LastIndexOf(')') + 2)..].Split(' ');
            var name = File.ReadAllText("/proc/thread-self/comm").Trim();
            connection.Write(Encoding.ASCII.GetBytes($"{fields[41 - 3]} {name[..Math.Min(name.Length, 13)]}"));
            connection.Close();
        }

        public int OnReceived(IConnection connection, ReadOnlySpan<byte> data) => data.Length;

        public void OnClosed(IConnection connection, string? reason)
        {
        }
    }
}
