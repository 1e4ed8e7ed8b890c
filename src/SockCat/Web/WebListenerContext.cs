using System.Collections.Concurrent;
using Microsoft.Extensions.Logging;

namespace SockCat.Web;

/// <summary>
/// What a web listener's routes need from the server, registered as a service in the listener's application: the
/// WebSocket limits, the open connections by Kestrel's connection id (so a WebSocket logs and counts against the
/// registry entry of the connection it runs on), and the open WebSockets (so the server can close them on stop).
/// Routes mapped in an application of one's own, outside a SockCat server, get the defaults and no registry.
/// </summary>
internal sealed class WebListenerContext(WebOptions options, ILogger logger)
{
    private readonly ConcurrentDictionary<string, WebConnection> _connections = new();
    private readonly ConcurrentDictionary<WebSocketSession, byte> _sessions = new();

    public WebSocketSettings Settings { get; } = new(options, logger);

    public TimeSpan ServerSentEventsKeepAliveInterval { get; } = options.ServerSentEventsKeepAliveInterval;

    public ILogger Logger => Settings.Logger;

    public IEnumerable<WebSocketSession> Sessions => _sessions.Keys;

    public void Add(string connectionId, WebConnection connection) => _connections[connectionId] = connection;

    public void Remove(string connectionId) => _connections.TryRemove(connectionId, out _);

    public WebConnection? Find(string connectionId) => _connections.GetValueOrDefault(connectionId);

    public bool HasConnections => !_connections.IsEmpty;

    public void TerminateAll(string reason)
    {
        foreach (var connection in _connections.Values)
        {
            connection.Terminate(reason);
        }
    }

    public void Add(WebSocketSession session) => _sessions[session] = 0;

    public void Remove(WebSocketSession session) => _sessions.TryRemove(session, out _);
}
