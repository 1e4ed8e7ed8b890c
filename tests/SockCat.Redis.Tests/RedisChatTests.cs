namespace SockCat.Redis.Tests;

/// <summary>
/// Two chat nodes (each a hub, a Redis bus and a server on loopback, as two sockcat processes) joined through a real
/// redis-server: rooms, private messages, member lists and nicks across nodes, and Redis going away and coming back.
/// </summary>
public sealed class RedisChatTests
{
    [Fact]
    public async Task TwoNodes_RoomAndPrivateMessages_CrossNodes()
    {
        await using var redis = await RedisServer.StartAsync();
        await using var one = await ChatNode.StartAsync(redis.Url, "one");
        await using var two = await ChatNode.StartAsync(redis.Url, "two");
        await using var alice = await one.UserAsync("alice", "lobby");
        await using var bob = await two.UserAsync("bob", "lobby");
        // bob's node learned alice from its join's answer; alice saw bob join from the other node.
        await alice.ExpectAsync("[#lobby] *** bob joined");
        await NamesUntilAsync(bob, l => l.StartsWith("*** in #lobby (2):", StringComparison.Ordinal) && l.Contains("alice", StringComparison.Ordinal) && l.Contains("bob", StringComparison.Ordinal));

        await alice.SendAsync("hello from node one");
        await bob.ExpectAsync("[#lobby] <alice> hello from node one");
        await bob.SendAsync("/me waves from node two");
        await alice.ExpectAsync("[#lobby] * bob waves from node two");

        await bob.SendAsync("/msg alice just to you");
        await alice.ExpectAsync("[pm] <bob> just to you");
        await alice.SendAsync("/msg BOB and back");   // nicks compare without case on every node
        await bob.ExpectAsync("[pm] <alice> and back");
        await alice.SendAsync("/msg nobody anyone?");
        await alice.ExpectAsync("nobody: no such nick on any chat node");

        await bob.SendAsync("/quit bedtime");
        await alice.ExpectAsync("*** bob quit (bedtime)");
    }

    [Fact]
    public async Task TwoNodes_ManyMessagesFromBoth_SameOrderOnEveryNode()
    {
        await using var redis = await RedisServer.StartAsync();
        await using var one = await ChatNode.StartAsync(redis.Url, "one");
        await using var two = await ChatNode.StartAsync(redis.Url, "two");
        await using var alice = await one.UserAsync("alice", "race");
        await using var bob = await two.UserAsync("bob", "race");
        await alice.ExpectAsync("[#race] *** bob joined");
        // A watcher on each node sees both senders' messages; the order must be the same on both.
        await using var watchOne = await one.UserAsync("watch1", "race");
        await using var watchTwo = await two.UserAsync("watch2", "race");
        await watchOne.ExpectAsync("[#race] *** watch2 joined");
        await NamesUntilAsync(watchTwo, l => l.StartsWith("*** in #race (4):", StringComparison.Ordinal));

        const int count = 200;
        await Task.WhenAll(
            alice.SendAsync([.. Enumerable.Range(0, count).Select(i => $"a{i}")]),
            bob.SendAsync([.. Enumerable.Range(0, count).Select(i => $"b{i}")]));
        var seenOne = await MessagesAsync(watchOne, 2 * count);
        var seenTwo = await MessagesAsync(watchTwo, 2 * count);
        Assert.Equal(seenOne, seenTwo);
        Assert.Equal(Enumerable.Range(0, count).Select(i => $"a{i}"), seenOne.Where(m => m[0] == 'a'));
    }

    [Fact]
    public async Task NickHeldOnOtherNode_SecondClaimRenamed_NickFreeAfterQuit()
    {
        await using var redis = await RedisServer.StartAsync();
        await using var one = await ChatNode.StartAsync(redis.Url, "one");
        await using var two = await ChatNode.StartAsync(redis.Url, "two");
        await using var alice = await one.UserAsync("alice");
        await WaitForKeyAsync(redis, "sockcat:chat:nick:alice", one.Bus.NodeId);

        // The claim is atomic in Redis: the second node's alice is told and renamed; the first keeps hers.
        await using var impostor = await two.UserAsync("Alice");
        var renamed = await impostor.ExpectAsync("the nick Alice is taken on another chat node; you are now ");
        Assert.Equal(one.Bus.NodeId, await redis.CliAsync("get", "sockcat:chat:nick:alice"));
        var guest = renamed[(renamed.LastIndexOf(' ') + 1)..];
        await alice.SendAsync($"/msg {guest} hi");
        await impostor.ExpectAsync("[pm] <alice> hi");

        await alice.SendAsync("/quit");
        await WaitForKeyAsync(redis, "sockcat:chat:nick:alice", "");
        await using var again = await two.UserAsync("alice");
        await WaitForKeyAsync(redis, "sockcat:chat:nick:alice", two.Bus.NodeId);
    }

    [Fact]
    public async Task RedisKilledAndRestarted_NodesServeLocally_ThenRejoin()
    {
        await using var redis = await RedisServer.StartAsync();
        await using var one = await ChatNode.StartAsync(redis.Url, "one");
        await using var two = await ChatNode.StartAsync(redis.Url, "two");
        await using var alice = await one.UserAsync("alice", "lobby");
        await using var carol = await one.UserAsync("carol", "lobby");
        await using var bob = await two.UserAsync("bob", "lobby");
        await alice.ExpectAsync("[#lobby] *** bob joined");
        await alice.SendAsync("before");
        await bob.ExpectAsync("[#lobby] <alice> before");

        await redis.KillAsync();
        // Told once, on each node; the node goes on serving its own users.
        await alice.ExpectAsync("the link to the other chat nodes is down");
        await bob.ExpectAsync("the link to the other chat nodes is down");
        await alice.SendAsync("while redis is away");
        await carol.ExpectAsync("[#lobby] <alice> while redis is away");
        await using var dave = await one.UserAsync("dave");
        await dave.ExpectAsync("the link to the other chat nodes is down");

        await redis.StartAgainAsync();
        await alice.ExpectAsync("the link to the other chat nodes is back");
        await bob.ExpectAsync("the link to the other chat nodes is back");
        // Redis restarted empty: the nodes claimed their nicks again.
        await WaitForKeyAsync(redis, "sockcat:chat:nick:alice", one.Bus.NodeId);
        await WaitForKeyAsync(redis, "sockcat:chat:nick:bob", two.Bus.NodeId);
        // Subscriptions come back as each node reconnects: send until one arrives, then each one does.
        await SendUntilSeenAsync(alice, bob, "[#lobby] <alice> after ");
        await SendUntilSeenAsync(bob, alice, "[#lobby] <bob> after ");
        await carol.ExpectAsync("[#lobby] <bob> after ");
        Assert.DoesNotContain("link to the other chat nodes is down", alice.Seen().Split('\n').SkipWhile(l => !l.Contains("is back", StringComparison.Ordinal)));
    }

    [Fact]
    public async Task RedisFrozen_LoopThreadsNeverWait_LocalUsersServed_ThenMessagesFlow()
    {
        await using var redis = await RedisServer.StartAsync();
        await using var one = await ChatNode.StartAsync(redis.Url, "one");
        await using var two = await ChatNode.StartAsync(redis.Url, "two");
        await using var alice = await one.UserAsync("alice", "lobby");
        await using var carol = await one.UserAsync("carol", "lobby");
        await using var bob = await two.UserAsync("bob", "lobby");
        await alice.ExpectAsync("[#lobby] *** bob joined");

        await redis.SignalAsync(stop: true);
        try
        {
            // About 1.4 MB of room messages towards a Redis that reads nothing, then a private message on the same node:
            // it arrives while Redis is still frozen, so no publish held the loop thread.
            var filler = new string('x', 440);
            await alice.SendAsync([.. Enumerable.Range(0, 3000).Select(i => $"{i} {filler}"), "/msg carol still here"]);
            await carol.ExpectAsync("[pm] <alice> still here");
            // ... before the node gave up on Redis (a publish that waits for Redis frees the loop only then).
            Assert.DoesNotContain("link to the other chat nodes is down", carol.Seen());
        }
        finally
        {
            await redis.SignalAsync(stop: false);
        }

        await SendUntilSeenAsync(alice, bob, "[#lobby] <alice> after ");
    }

    [Fact]
    public async Task NodeDiesWithoutReleasing_ItsNicksFreeWithinClaimExpiry_ItsUsersQuit()
    {
        await using var redis = await RedisServer.StartAsync();
        var expiry = TimeSpan.FromSeconds(2);
        await using var one = await ChatNode.StartAsync(redis.Url, "one", expiry);
        await using var two = await ChatNode.StartAsync(redis.Url, "two", expiry);
        await using var bob = await two.UserAsync("bob", "lobby");
        var alice = await one.UserAsync("alice", "lobby");
        await bob.ExpectAsync("[#lobby] *** alice joined");
        await WaitForKeyAsync(redis, "sockcat:chat:nick:alice", one.Bus.NodeId);

        await one.AbandonAsync();
        await alice.DisposeAsync();
        // Nobody released alice: the claim lapses by itself, and the other node drops the silent node's users.
        await WaitForKeyAsync(redis, "sockcat:chat:nick:alice", "");
        await bob.ExpectAsync("*** alice quit (its chat node stopped)");
        await using var alice2 = await two.UserAsync("alice");
        await WaitForKeyAsync(redis, "sockcat:chat:nick:alice", two.Bus.NodeId);
    }

    [Fact]
    public async Task Cluster_TwoNodes_TalkInRoomsOnDifferentShards()
    {
        await using var cluster = await RedisCluster.StartAsync();
        await using var one = await ChatNode.StartAsync(cluster.Url, "one");
        await using var two = await ChatNode.StartAsync(cluster.Url, "two");
        Assert.True(one.Bus.IsCluster);
        await using var alice = await one.UserAsync("alice");
        await using var bob = await two.UserAsync("bob");

        // Enough rooms that they land on every shard (slots are spread over the three masters).
        var rooms = Enumerable.Range(0, 6).Select(i => $"room{i}").ToArray();
        foreach (var room in rooms)
        {
            await alice.SendAsync($"/join {room}");
            await alice.ExpectAsync($"*** in #{room}");
            await one.ListeningAsync(room);
            await bob.SendAsync($"/join {room}");
            await bob.ExpectAsync($"*** in #{room}");
            await alice.ExpectAsync($"[#{room}] *** bob joined");
            await alice.SendAsync($"hello {room}");
            await bob.ExpectAsync($"[#{room}] <alice> hello {room}");
        }

        // Each master holds the sharded subscriptions of the rooms in its slots: the rooms are spread over the shards.
        var shardsWithRooms = 0;
        foreach (var server in cluster.Servers)
        {
            if ((await server.CliAsync("pubsub", "shardchannels", "sockcat:chat:room:*")).Length > 0)
            {
                shardsWithRooms++;
            }
        }

        Assert.True(shardsWithRooms >= 2, $"the rooms' channels are on {shardsWithRooms} of 3 shards");
        await bob.SendAsync("/msg alice across the cluster");
        await alice.ExpectAsync("[pm] <bob> across the cluster");
    }

    private static async Task<List<string>> MessagesAsync(IntegrationTests.Services.Chat.ChatLineClient client, int count)
    {
        var seen = new List<string>();
        while (seen.Count < count)
        {
            var line = await client.ExpectAsync(l => l.StartsWith("[#race] <", StringComparison.Ordinal));
            seen.Add(line[(line.IndexOf("> ", StringComparison.Ordinal) + 2)..]);
        }

        return seen;
    }

    // Polls Redis for a key's value ("" for no key) with a deadline: the claim is made and dropped off the loop thread.
    private static async Task WaitForKeyAsync(RedisServer redis, string key, string value)
    {
        using var cts = new CancellationTokenSource(TimeSpan.FromSeconds(30));
        string now;
        while ((now = await redis.CliAsync("get", key)) != value)
        {
            try
            {
                await Task.Delay(50, cts.Token);
            }
            catch (OperationCanceledException)
            {
                Assert.Fail($"{key} is '{now}', not '{value}', after 30 s");
            }
        }
    }

    // The other nodes' members arrive in answer to a join, a hop after the join itself: ask until the list has them.
    private static async Task NamesUntilAsync(IntegrationTests.Services.Chat.ChatLineClient client, Func<string, bool> match)
    {
        using var cts = new CancellationTokenSource(TimeSpan.FromSeconds(30));
        while (true)
        {
            await client.SendAsync("/names");
            var line = await client.ExpectAsync(l => l.StartsWith("*** in #", StringComparison.Ordinal));
            if (match(line))
            {
                return;
            }

            await Task.Delay(100, cts.Token);
        }
    }

    // After Redis returns, a node's room subscription is back within a reconnect: send numbered lines until one arrives.
    private static async Task SendUntilSeenAsync(IntegrationTests.Services.Chat.ChatLineClient from, IntegrationTests.Services.Chat.ChatLineClient to, string expected)
    {
        using var cts = new CancellationTokenSource(TimeSpan.FromSeconds(30));
        var seen = to.ExpectAsync(expected);
        for (var i = 0; !seen.IsCompleted; i++)
        {
            await from.SendAsync($"after {i}");
            await Task.WhenAny(seen, Task.Delay(200, cts.Token));
        }

        await seen;
    }
}
