using Microsoft.AspNetCore.Connections;
using SockCat.Endpoints;
using SockCat.Server;

namespace SockCat.Web;

/// <summary>
/// A connection on a web listener, in the server's registry beside the byte-stream ones: counted against the
/// connection limit, logged with the seed's lines, closed on stop. It speaks HTTP, so the byte-level
/// <see cref="IConnection"/> members are not for it (services reach it through <see cref="WebSocketSession"/> or
/// <see cref="ServerSentEventsWriter"/>); its byte counts are WebSocket payloads and event-stream bytes.
/// </summary>
internal sealed class WebConnection(ConnectionContext context, ServerHost host, ListenerBinding listener, long id, PeerAddress peer)
    : ServerConnection(host, listener, id, peer)
{
    private string? _closeReason;

    /// <summary>Why the server ended the connection (a WebSocket limit, a slow consumer, shutdown), for its log line.</summary>
    public string? CloseReason => Volatile.Read(ref _closeReason);

    public override int PendingOutputBytes => 0;

    public override System.Net.EndPoint? LocalEndPoint => context.LocalEndPoint;

    public void SetCloseReason(string reason) => Interlocked.CompareExchange(ref _closeReason, reason, null);

    public override void Terminate(string reason)
    {
        SetCloseReason(reason);
        context.Abort(new ConnectionAbortedException(reason));
    }

    public override void Close(string? reason = null) => Terminate(reason ?? "closed by the server");

    public override void Abort(string reason) => Terminate(reason);

    // Nothing runs on a web connection's behalf: a post is handed straight back, as to a connection already gone.
    public override bool Post(Action<IConnection, object?> callback, object? state, Action<object?>? dropped)
    {
        dropped?.Invoke(state);
        return false;
    }

    public override ValueTask<bool> WriteAsync(ReadOnlyMemory<byte> data, CancellationToken cancellationToken = default) => throw ByteLevel();

    public override void Advance(int count) => throw ByteLevel();

    public override Memory<byte> GetMemory(int sizeHint = 0) => throw ByteLevel();

    public override Span<byte> GetSpan(int sizeHint = 0) => throw ByteLevel();

    public override void Write(ReadOnlySpan<byte> data) => throw ByteLevel();

    public override void ShutdownSend() => throw ByteLevel();

    public override void PauseReading() => throw ByteLevel();

    public override void ResumeReading() => throw ByteLevel();

    protected override IConnectionProtocol? CurrentProtocol { get => null; set => throw ByteLevel(); }

    public override void RelayTo(EndpointUrl target, Server.Relay.RelayOptions? options = null) => throw ByteLevel();

    private static NotSupportedException ByteLevel() =>
        new("A web connection speaks HTTP: write to it through a WebSocketSession or a ServerSentEventsWriter.");
}
