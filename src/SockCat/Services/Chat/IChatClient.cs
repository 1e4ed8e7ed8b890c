namespace SockCat.Services.Chat;

/// <summary>
/// A protocol's side of a <see cref="ChatUser"/>: where the hub delivers the events the user is to see. A protocol (the
/// line protocol, IRC) implements it on its per-connection object and passes it to <see cref="ChatHub.Register"/>.
/// <para>
/// The hub calls <see cref="OnChatEvent"/> only on the user's own connection thread, serialized with the protocol's own
/// calls: events from other users arrive through <c>IConnection.Post</c> (one post drains all that queued meanwhile), and
/// the events a user's own operation causes for that user (its own JOIN, PART, NICK, TOPIC, MODE) are delivered inline,
/// before the operation returns, so a protocol can write its replies (IRC's 332/353/366 after JOIN) in order after them.
/// So the protocol writes straight to its connection, without a lock.
/// </para>
/// </summary>
internal interface IChatClient
{
    /// <summary>
    /// An event for <paramref name="self"/>. Write it with <c>connection.Write(e.Render(YourRenderer.Instance))</c> (rendered
    /// once per protocol for all recipients), or render it per recipient where it must differ (e.g. "you were kicked").
    /// <paramref name="e"/> is valid only during this call.
    /// </summary>
    void OnChatEvent(ChatUser self, ChatEvent e);
}
