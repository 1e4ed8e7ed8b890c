using System.Buffers;
using Microsoft.AspNetCore.Http;

namespace SockCat.Web;

/// <summary>
/// The events one <see cref="IServerSentEventsDescriptorHandler.OnData"/> call writes, in the wire form of
/// <see cref="ServerSentEventsWriter.WriteEventAsync"/>, straight into the response; flushed together when the call
/// returns. Use it only within that call.
/// </summary>
public sealed class ServerSentEventsBatch
{
    private readonly HttpResponse _response;

    internal ServerSentEventsBatch(HttpResponse response) => _response = response;

    /// <summary>Bytes written in this call so far.</summary>
    internal int Written { get; set; }

    /// <summary>Writes one event, as <see cref="ServerSentEventsWriter.WriteEventAsync"/> does.</summary>
    /// <param name="data">The event's data; each of its lines a <c>data:</c> line.</param>
    /// <param name="eventName">The event's type; null: <c>message</c>.</param>
    /// <param name="id">The event's id; null: none.</param>
    /// <exception cref="ArgumentException"><paramref name="eventName"/> or <paramref name="id"/> holds a line break (or <paramref name="id"/> a NUL).</exception>
    public void WriteEvent(string data, string? eventName = null, string? id = null)
    {
        var bytes = ServerSentEventsWriter.Format(data, eventName, id);
        _response.BodyWriter.Write(bytes);
        Written += bytes.Length;
    }
}
