using System.Collections.Concurrent;
using System.Security.Cryptography;

namespace SockCat.Services.Chat.Web;

/// <summary>
/// The browser users of one <see cref="ChatService"/> by resume token: a page that lost its WebSocket comes back with
/// its token and gets its user (nick, rooms, what was said meanwhile) back within the resume window.
/// </summary>
internal sealed class WebChat(ChatService service)
{
    private readonly ConcurrentDictionary<string, WebChatClient> _byToken = new(StringComparer.Ordinal);

    public ChatService Service { get; } = service;

    public ChatHub Hub => Service.Hub;

    /// <summary>A new token: 128 random bits, so a token cannot be guessed to take over another's nick.</summary>
    public static string NewToken() => Convert.ToHexStringLower(RandomNumberGenerator.GetBytes(16));

    public void Add(WebChatClient client) => _byToken[client.Token] = client;

    public void Remove(WebChatClient client) => _byToken.TryRemove(new KeyValuePair<string, WebChatClient>(client.Token, client));

    public WebChatClient? Find(string? token) =>
        token is not null && _byToken.TryGetValue(token, out var client) && !client.Connection.IsClosed ? client : null;
}
