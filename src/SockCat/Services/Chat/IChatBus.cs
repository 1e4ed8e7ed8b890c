namespace SockCat.Services.Chat;

/// <summary>
/// What joins several <see cref="ChatHub"/>s (one per node, each with its own users) into one chat: room messages, private
/// messages, membership and nick claims cross it. A hub made without one serves its own users alone (the in-memory
/// behaviour, and the default). SockCat.Redis implements it over Redis or a Redis Cluster.
/// <para>
/// The hub calls these methods on its users' connection threads (an engine loop thread), so none may block or wait on the
/// network: each queues its work and returns. Names are handed over already folded (IRC's rfc1459 casemapping), so every
/// spelling of a nick or a room maps to one key. What other nodes send arrives through the
/// <see cref="IChatBusReceiver"/> given to <see cref="Attach"/>, on the bus's own threads, in the order the bus received
/// it for each room.
/// </para>
/// </summary>
public interface IChatBus
{
    /// <summary>This node's name on the bus, unique among the nodes; carried in <see cref="ChatBusMessage.Node"/>.</summary>
    string NodeId { get; }

    /// <summary>True while the bus reaches the other nodes; while false the hub serves its own users alone.</summary>
    bool IsConnected { get; }

    /// <summary>Called once by the hub, before any other call: where the bus delivers what other nodes publish.</summary>
    void Attach(IChatBusReceiver receiver);

    /// <summary>This node has members in <paramref name="room"/> (its first local member joined): receive the room's messages.</summary>
    void Subscribe(string room);

    /// <summary>This node's last member of <paramref name="room"/> left: stop receiving the room's messages.</summary>
    void Unsubscribe(string room);

    /// <summary>
    /// Publishes <paramref name="message"/> to every node with members in <paramref name="room"/>, this node included, in
    /// one order that every node sees alike.
    /// </summary>
    void PublishToRoom(string room, ChatBusMessage message);

    /// <summary>
    /// Publishes <paramref name="message"/> to the node where <paramref name="nick"/> is claimed; when no node holds it,
    /// the receiver's <see cref="IChatBusReceiver.OnUndeliverable"/> is told.
    /// </summary>
    void PublishToUser(string nick, ChatBusMessage message);

    /// <summary>
    /// Claims <paramref name="nick"/> for this node, atomically among the nodes, and keeps it claimed (renewed) until
    /// <see cref="ReleaseNick"/>; when another node holds it, the receiver's <see cref="IChatBusReceiver.OnNickRefused"/> is told.
    /// </summary>
    void ClaimNick(string nick);

    /// <summary>Releases this node's claim on <paramref name="nick"/> (its user quit or changed nick).</summary>
    void ReleaseNick(string nick);
}

/// <summary>The hub's side of an <see cref="IChatBus"/>: what the bus tells it. Called on the bus's threads; never blocks.</summary>
public interface IChatBusReceiver
{
    /// <summary>A message published by a node (this one too, for its room messages).</summary>
    void OnMessage(ChatBusMessage message);

    /// <summary>Another node holds <paramref name="nick"/> (folded), which a local user has: that user must change nick.</summary>
    void OnNickRefused(string nick);

    /// <summary>A private message this node published reached nobody: no node holds its recipient's nick.</summary>
    void OnUndeliverable(ChatBusMessage message);

    /// <summary>A node not heard from before (or since the bus came back) spoke: tell it who is here.</summary>
    void OnNodeSeen(string node);

    /// <summary>A node stopped (said goodbye, or was silent past the bus's timeout): its users are gone.</summary>
    void OnNodeGone(string node);

    /// <summary>The bus lost (false) or regained (true) the other nodes; <paramref name="reason"/> says why it was lost.</summary>
    void OnConnectionChanged(bool connected, string? reason);
}
