using SockCat.Services.Chat;
using SockCat.Testing;

namespace SockCat.Redis.Tests;

/// <summary>One chat node: a hub on its own Redis bus, served by its own server on loopback, as one sockcat process is.</summary>
internal sealed class ChatNode : IAsyncDisposable
{
    private bool _abandoned;

    private ChatNode(RedisChatBus bus, ChatHub hub, LoopbackServer server)
    {
        Bus = bus;
        Hub = hub;
        Server = server;
    }

    public RedisChatBus Bus { get; }

    public ChatHub Hub { get; }

    public LoopbackServer Server { get; }

    public static async Task<ChatNode> StartAsync(string redis, string name, TimeSpan? claimExpiry = null)
    {
        var bus = await RedisChatBus.ConnectAsync(redis, new RedisChatBusOptions
        {
            NodeId = $"{name}-{Guid.NewGuid():N}"[..12],
            ClaimExpiry = claimExpiry ?? TimeSpan.FromSeconds(30),
        });
        var hub = new ChatHub(new ChatOptions { FloodMessagesPerSecond = 0 }, bus);
        var chat = new ChatService(hub);
        var server = await LoopbackServer.StartAsync(TestTransport.EpollTcp, chat.CreateProtocol);
        return new ChatNode(bus, hub, server);
    }

    /// <summary>A line-protocol user on this node with <paramref name="nick"/>, its welcome read.</summary>
    public async Task<IntegrationTests.Services.Chat.ChatLineClient> UserAsync(string nick, string? room = null)
    {
        var user = await IntegrationTests.Services.Chat.ChatLineClient.LineAsync(Server);
        await user.SendAsync($"/nick {nick}");
        await user.ExpectAsync($"*** you are {nick}.");
        if (room is not null)
        {
            await user.SendAsync($"/join {room}");
            await user.ExpectAsync($"*** in #{room}");
            await ListeningAsync(room);
        }

        return user;
    }

    /// <summary>
    /// Waits until this node listens to <paramref name="room"/> (its subscription is made off the loop, a moment after the
    /// join): a join on another node before that would not reach this node's users as an event (its member list would
    /// still converge, from this node's own join).
    /// </summary>
    public async Task ListeningAsync(string room)
    {
        using var cts = new CancellationTokenSource(TimeSpan.FromSeconds(30));
        while (Bus.IsSubscribing("#" + room.ToLowerInvariant()))
        {
            await Task.Delay(10, cts.Token);
        }
    }

    /// <summary>Stops as a node killed with -9 would, for Redis: no nick released, no goodbye.</summary>
    public async Task AbandonAsync()
    {
        _abandoned = true;
        await Bus.AbandonAsync();
        await Server.DisposeAsync();
    }

    public async ValueTask DisposeAsync()
    {
        if (_abandoned)
        {
            return;
        }

        await Server.DisposeAsync();
        await Bus.DisposeAsync();
    }
}
