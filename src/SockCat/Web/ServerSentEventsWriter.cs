using System.Text;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.DependencyInjection;

namespace SockCat.Web;

/// <summary>
/// Writes a Server-Sent Events stream (<c>text/event-stream</c>, what a browser's <c>EventSource</c> reads) on one
/// HTTP response: events with a name, an id and data (multi-line data split into <c>data:</c> lines), a comment
/// line on an interval while nothing else is written (so proxies keep the stream open and a gone client is found),
/// and the <c>Last-Event-ID</c> a reconnecting browser sends, for resuming. Writes may come from any thread; they are
/// serialized and flushed one by one.
/// <code>
/// routes.MapGet("/events", async context =>
/// {
///     await using var events = await ServerSentEventsWriter.StartAsync(context);
///     var next = long.TryParse(events.LastEventId, out var last) ? last + 1 : 0;
///     for (var i = next; !context.RequestAborted.IsCancellationRequested; i++)
///     {
///         await events.WriteEventAsync($"tick {i}", id: i.ToString(), cancellationToken: context.RequestAborted);
///         await Task.Delay(1000, context.RequestAborted);
///     }
/// });
/// </code>
/// </summary>
public sealed partial class ServerSentEventsWriter : IAsyncDisposable
{
    private static readonly byte[] KeepAliveComment = ": keep-alive\n\n"u8.ToArray();
    private readonly HttpResponse _response;
    private readonly HttpContext _context;
    private readonly SemaphoreSlim _writeLock = new(1, 1);
    private readonly CancellationTokenSource _stop;
    private readonly Task _keepAlive;
    private readonly WebConnection? _connection;
    private long _lastWrite = Environment.TickCount64;

    private ServerSentEventsWriter(HttpContext context, TimeSpan keepAliveInterval, WebConnection? connection)
    {
        _context = context;
        _response = context.Response;
        _connection = connection;
        var lastEventId = context.Request.Headers["Last-Event-ID"];
        LastEventId = lastEventId.Count > 0 ? lastEventId.ToString() : null;
        _stop = CancellationTokenSource.CreateLinkedTokenSource(context.RequestAborted);
        _keepAlive = keepAliveInterval > TimeSpan.Zero ? KeepAliveAsync(keepAliveInterval) : Task.CompletedTask;
    }

    /// <summary>
    /// The id of the last event the browser saw before it reconnected (the <c>Last-Event-ID</c> request header), or
    /// null on a first connection: where to resume from.
    /// </summary>
    public string? LastEventId { get; }

    /// <summary>
    /// Starts the stream: status 200, <c>Content-Type: text/event-stream</c>, no caching or proxy buffering, headers
    /// flushed at once so the browser's <c>EventSource</c> opens; then the keep-alive comments begin.
    /// </summary>
    /// <param name="context">The request to answer.</param>
    /// <param name="keepAliveInterval">
    /// How long the stream may be silent before a comment line is written; null: the server's
    /// <see cref="WebOptions.ServerSentEventsKeepAliveInterval"/> (15 seconds by default); zero: none.
    /// </param>
    /// <param name="cancellationToken">Cancels starting.</param>
    public static async Task<ServerSentEventsWriter> StartAsync(HttpContext context, TimeSpan? keepAliveInterval = null, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(context);
        var listener = context.RequestServices.GetService<WebListenerContext>();
        var interval = keepAliveInterval ?? listener?.ServerSentEventsKeepAliveInterval ?? new WebOptions().ServerSentEventsKeepAliveInterval;
        ArgumentOutOfRangeException.ThrowIfLessThan(interval, TimeSpan.Zero, nameof(keepAliveInterval));
        var response = context.Response;
        response.StatusCode = StatusCodes.Status200OK;
        response.ContentType = "text/event-stream; charset=utf-8";
        response.Headers.CacheControl = "no-cache";
        // nginx buffers responses unless told not to; an event stream must pass through as it is written.
        response.Headers["X-Accel-Buffering"] = "no";
        await response.StartAsync(cancellationToken).ConfigureAwait(false);
        await response.Body.FlushAsync(cancellationToken).ConfigureAwait(false);
        return new ServerSentEventsWriter(context, interval, listener?.Find(context.Connection.Id));
    }

    /// <summary>
    /// Writes one event. <paramref name="data"/> may hold several lines (CR, LF or CRLF): each becomes a
    /// <c>data:</c> line, and the browser joins them back with LF.
    /// </summary>
    /// <param name="data">The event's data.</param>
    /// <param name="eventName">The event's type (<c>addEventListener(name, ...)</c> in the browser); null: <c>message</c>.</param>
    /// <param name="id">The event's id, which a reconnecting browser sends back as <see cref="LastEventId"/>; null: none.</param>
    /// <param name="cancellationToken">Cancels the write.</param>
    /// <exception cref="ArgumentException"><paramref name="eventName"/> or <paramref name="id"/> holds a line break (or <paramref name="id"/> a NUL).</exception>
    public Task WriteEventAsync(string data, string? eventName = null, string? id = null, CancellationToken cancellationToken = default) =>
        WriteAsync(Format(data, eventName, id), cancellationToken);

    /// <summary>Writes a comment line (<c>: text</c>), which browsers ignore; one line per line of <paramref name="comment"/>.</summary>
    public Task WriteCommentAsync(string comment, CancellationToken cancellationToken = default)
    {
        var text = new StringBuilder();
        foreach (var line in SplitLines(comment))
        {
            text.Append(": ").Append(line).Append('\n');
        }

        return WriteAsync(Encoding.UTF8.GetBytes(text.Append('\n').ToString()), cancellationToken);
    }

    /// <summary>Tells the browser how long to wait before reconnecting when the stream ends (the <c>retry:</c> field).</summary>
    public Task WriteRetryAsync(TimeSpan delay, CancellationToken cancellationToken = default) =>
        WriteAsync(Encoding.UTF8.GetBytes($"retry: {(long)delay.TotalMilliseconds}\n\n"), cancellationToken);

    /// <summary>Stops the keep-alive comments; the response ends when the request handler returns.</summary>
    public async ValueTask DisposeAsync()
    {
        await _stop.CancelAsync().ConfigureAwait(false);
        try
        {
            await _keepAlive.ConfigureAwait(false);
        }
        catch (OperationCanceledException)
        {
        }

        _stop.Dispose();
    }

    /// <summary>The wire form of one event (the HTML standard's event stream format), as UTF-8.</summary>
    internal static byte[] Format(string data, string? eventName, string? id)
    {
        ArgumentNullException.ThrowIfNull(data);
        var text = new StringBuilder();
        if (eventName is not null)
        {
            CheckField(eventName, nameof(eventName));
            text.Append("event: ").Append(eventName).Append('\n');
        }

        if (id is not null)
        {
            CheckField(id, nameof(id));
            if (id.Contains('\0'))
            {
                throw new ArgumentException("An event id may not hold a NUL character; browsers ignore such an id.", nameof(id));
            }

            text.Append("id: ").Append(id).Append('\n');
        }

        foreach (var line in SplitLines(data))
        {
            text.Append("data: ").Append(line).Append('\n');
        }

        return Encoding.UTF8.GetBytes(text.Append('\n').ToString());
    }

    private static void CheckField(string value, string name)
    {
        if (value.AsSpan().IndexOfAny('\r', '\n') >= 0)
        {
            throw new ArgumentException($"An event's {name} may not hold a line break.", name);
        }
    }

    // Only CR, LF and CRLF end a line in an event stream (not ReplaceLineEndings' NEL, LS, PS or FF).
    private static string[] SplitLines(string text) => text.Replace("\r\n", "\n", StringComparison.Ordinal).Replace('\r', '\n').Split('\n');

    private async Task WriteAsync(byte[] bytes, CancellationToken cancellationToken)
    {
        await _writeLock.WaitAsync(cancellationToken).ConfigureAwait(false);
        try
        {
            await _response.Body.WriteAsync(bytes, cancellationToken).ConfigureAwait(false);
            await _response.Body.FlushAsync(cancellationToken).ConfigureAwait(false);
            Volatile.Write(ref _lastWrite, Environment.TickCount64);
            if (_connection is not null)
            {
                Interlocked.Add(ref _connection.BytesSent, bytes.Length);
            }
        }
        finally
        {
            _writeLock.Release();
        }
    }

    private async Task KeepAliveAsync(TimeSpan interval)
    {
        using var timer = new PeriodicTimer(interval / 2);
        var intervalMs = (long)interval.TotalMilliseconds;
        try
        {
            while (await timer.WaitForNextTickAsync(_stop.Token).ConfigureAwait(false))
            {
                if (Environment.TickCount64 - Volatile.Read(ref _lastWrite) >= intervalMs)
                {
                    await WriteAsync(KeepAliveComment, _stop.Token).ConfigureAwait(false);
                }
            }
        }
        catch (Exception ex) when (ex is OperationCanceledException or IOException or ObjectDisposedException or InvalidOperationException)
        {
            // The client is gone or the stream was disposed: the request handler sees it on its next write.
        }
    }
}
