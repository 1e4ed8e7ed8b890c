using System.Buffers;
using System.Text;
using Microsoft.AspNetCore.Connections;
using SockCat.Endpoints;
using SockCat.Server;

namespace SockCat.Web;

/// <summary>
/// The server's rules at a web listener's door, as connection middleware on either side of TLS: the access list and
/// the connection limit before TLS (a denied peer gets no handshake), then, once the connection speaks HTTP, its
/// place in the registry and the seed's log lines. A client over the limit is answered 503 with the server-full line
/// (inside TLS on wss:// and https://), after its request has been read so the answer is not lost to a reset.
/// </summary>
internal sealed class WebAdmission(ServerHost server, WebListenerContext listener, EndpointUrl url)
{
    private const string CountKey = "sockcat.web.count";
    private const string OpenedKey = "sockcat.web.opened";
    private const string FullKey = "sockcat.web.full";

    // A request's headers are read (and dropped) for at most this long before the 503 goes out anyway.
    private static readonly TimeSpan FullRequestWait = TimeSpan.FromSeconds(2);

    // A web listener serves routes, not a byte protocol: its binding carries the URLs for the registry and the log lines.
    private readonly ListenerBinding _binding = new(url, static _ => throw new NotSupportedException("A web listener serves routes, not a byte protocol."));

    /// <summary>The listener's URL as bound (port 0 resolved); set once Kestrel has bound it.</summary>
    public EndpointUrl Listener
    {
        get => _binding.BoundUrl;
        set => _binding.BoundUrl = value;
    }

    public async Task AdmitAsync(ConnectionContext context, ConnectionDelegate next)
    {
        switch (server.Admit(Listener, PeerAddress.FromEndPoint(context.RemoteEndPoint), out var count))
        {
            case Admission.Denied:
                context.Abort();
                return;
            case Admission.Full:
                context.Items[FullKey] = true;
                await next(context).ConfigureAwait(false);
                return;
        }

        context.Items[CountKey] = count;
        try
        {
            await next(context).ConfigureAwait(false);
        }
        finally
        {
            if (!context.Items.ContainsKey(OpenedKey))
            {
                // The connection never reached HTTP (its TLS handshake failed): give the place back.
                server.Registry.Unreserve();
            }
        }
    }

    public async Task OpenAsync(ConnectionContext context, ConnectionDelegate next)
    {
        if (context.Items.ContainsKey(FullKey))
        {
            await RefuseFullAsync(context).ConfigureAwait(false);
            return;
        }

        var connection = new WebConnection(context, server, _binding, server.Registry.NextId(), PeerAddress.FromEndPoint(context.RemoteEndPoint));
        context.Items[OpenedKey] = connection;
        listener.Add(context.ConnectionId, connection);
        server.Opened(connection, (int)context.Items[CountKey]!);
        try
        {
            await next(context).ConfigureAwait(false);
        }
        finally
        {
            listener.Remove(context.ConnectionId);
            var reason = connection.CloseReason;
            server.Closed(connection, reason, imposed: reason is not null);
        }
    }

    private async Task RefuseFullAsync(ConnectionContext context)
    {
        using var wait = CancellationTokenSource.CreateLinkedTokenSource(context.ConnectionClosed);
        wait.CancelAfter(FullRequestWait);
        var input = context.Transport.Input;
        try
        {
            while (true)
            {
                var result = await input.ReadAsync(wait.Token).ConfigureAwait(false);
                var ended = result.Buffer.PositionOf((byte)'\n') is not null && EndsHeaders(result.Buffer);
                input.AdvanceTo(result.Buffer.Start, result.Buffer.End);
                if (ended || result.IsCompleted || result.Buffer.Length > 64 * 1024)
                {
                    break;
                }
            }
        }
        catch (OperationCanceledException)
        {
        }

        var body = server.ServerFullMessage;
        var head = Encoding.ASCII.GetBytes(
            $"HTTP/1.1 503 Service Unavailable\r\nContent-Type: text/plain; charset=utf-8\r\nContent-Length: {body.Length}\r\nRetry-After: 5\r\nConnection: close\r\n\r\n");
        try
        {
            await context.Transport.Output.WriteAsync(head).ConfigureAwait(false);
            await context.Transport.Output.WriteAsync(body).ConfigureAwait(false);
        }
        catch (Exception ex) when (ex is IOException or ConnectionAbortedException or InvalidOperationException)
        {
        }
    }

    private static bool EndsHeaders(ReadOnlySequence<byte> buffer)
    {
        var reader = new SequenceReader<byte>(buffer);
        return reader.TryReadTo(out ReadOnlySequence<byte> _, "\r\n\r\n"u8);
    }
}
