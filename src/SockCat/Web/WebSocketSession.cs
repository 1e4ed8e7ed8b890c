using System.Net.WebSockets;
using Microsoft.AspNetCore.Http;

namespace SockCat.Web;

/// <summary>
/// One open WebSocket as a service sees it: who is on the other end, and a bounded way to send messages to it from any
/// thread. Made by <see cref="WebSocketEndpointRouteBuilderExtensions.MapWebSocketMessages"/> for each accepted
/// upgrade and handed to that WebSocket's <see cref="IWebSocketMessageHandler"/>.
/// </summary>
public sealed partial class WebSocketSession
{
    private static long s_nextStandaloneId;
    private readonly WebSocket _socket;
    private readonly WebListenerContext _listener;
    private readonly WebConnection? _connection;
    private readonly CancellationTokenSource _ended = new();
    private readonly CancellationTokenRegistration _abortOnEnd;
    private string? _closeReason;
    private bool _cutAsSlowConsumer;

    internal WebSocketSession(WebSocket socket, HttpContext httpContext, WebListenerContext listener, WebConnection? connection)
    {
        _socket = socket;
        _listener = listener;
        _connection = connection;
        HttpContext = httpContext;
        Id = connection?.Id ?? Interlocked.Increment(ref s_nextStandaloneId);
        Peer = connection?.Peer ?? httpContext.Connection.RemoteIpAddress + ":" + httpContext.Connection.RemotePort;
        // Sends and receives pass no token: a cancellable one costs a registration per operation in the WebSocket and
        // in Kestrel's pipe. Ending early (Abort, a close the peer does not answer in time) aborts the WebSocket and
        // the request's connection once, here; the connection must go too, as the WebSocket's stream is never disposed
        // by it (GracefulUpgradeFeature) and a pending read would otherwise wait for the peer.
        _abortOnEnd = _ended.Token.UnsafeRegister(static s =>
        {
            var session = (WebSocketSession)s!;
            session._socket.Abort();
            session.HttpContext.Abort();
        }, this);
    }

    /// <summary>The id of the connection the WebSocket runs on, as the server's registry and log lines give it.</summary>
    public long Id { get; }

    /// <summary>The peer as the log lines print it: <c>127.0.0.1:42203</c>.</summary>
    public string Peer { get; }

    /// <summary>The upgrade request (path, query, headers) and its connection; read it, do not write the response.</summary>
    public HttpContext HttpContext { get; }

    /// <summary>Cancelled when the WebSocket has ended (closed, aborted, or cut); a producer can stop on it.</summary>
    public CancellationToken Ended => _ended.Token;

    /// <summary>Why the server ended the WebSocket (a limit, a slow consumer, a dead peer), once it has; otherwise null.</summary>
    public string? CloseReason => Volatile.Read(ref _closeReason);

    /// <summary>The send queue's bound (<see cref="WebOptions.MaxSendQueueBytes"/>) this WebSocket keeps.</summary>
    public int MaxSendQueueBytes => Settings.MaxSendQueueBytes;

    /// <summary>True once a <see cref="TrySend"/> over the send queue's bound has cut the WebSocket as a slow consumer.</summary>
    public bool WasCutAsSlowConsumer => Volatile.Read(ref _cutAsSlowConsumer);

    private WebSocketSettings Settings => _listener.Settings;

    /// <summary>Records why the server ends the WebSocket (the first reason wins) and passes it to the connection's log line.</summary>
    private void SetReason(string reason)
    {
        if (Interlocked.CompareExchange(ref _closeReason, reason, null) is null)
        {
            _connection?.SetCloseReason(reason);
            if (_connection is null)
            {
                WebLog.WebSocketClosing(Settings.Logger, Peer, reason);
            }
        }
    }
}
