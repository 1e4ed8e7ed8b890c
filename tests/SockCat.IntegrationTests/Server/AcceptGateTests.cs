using SockCat.Services.Echo;
using SockCat.Testing;

namespace SockCat.IntegrationTests.Server;

/// <summary>
/// The epoll loop's accept gate, which lets Kestrel's accept loop (over <c>EpollConnectionListener</c>) fall behind a
/// burst without connections being reset: while the gate is shut, connections wait in the kernel's backlog.
/// </summary>
public sealed class AcceptGateTests
{
    [Theory]
    [InlineData(TestTransport.EpollTcp)]
    [InlineData(TestTransport.EpollUnix)]
    public async Task AcceptGate_Shut_ConnectionWaitsInBacklogThenIsServedWhenItOpens(TestTransport transport)
    {
        var open = new TaskCompletionSource();
        // The loop asks the gate only when the listener has a connection waiting, and again every 5 ms while it says no.
        var refusals = 0;
        var refusedThrice = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        await using var server = await LoopbackServer.StartAsync(transport, _ => EchoProtocol.Instance, o => o.AcceptGate = () =>
        {
            if (open.Task.IsCompleted)
            {
                return true;
            }

            if (Interlocked.Increment(ref refusals) == 3)
            {
                refusedThrice.TrySetResult();
            }

            return false;
        });
        await using var client = await server.ConnectAsync();
        await client.Stream.WriteAsync("x"u8.ToArray());
        var echo = client.ReadExactlyAsync(1, TimeSpan.FromSeconds(10));

        // The loop asks three times with the gate shut: nothing is accepted, nothing is refused.
        await refusedThrice.Task.WaitAsync(TimeSpan.FromSeconds(10));
        Assert.False(echo.IsCompleted);
        Assert.Equal(0, server.Server.Connections.TotalAccepted);

        open.SetResult();
        Assert.Equal("x"u8.ToArray(), await echo);
        Assert.Equal(1, server.Server.Connections.TotalAccepted);
    }
}
