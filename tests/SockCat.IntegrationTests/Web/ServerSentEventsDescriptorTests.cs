using System.IO.Pipes;
using System.Text;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using SockCat.Server;
using SockCat.Web;

namespace SockCat.IntegrationTests.Web;

/// <summary>
/// <see cref="ServerSentEventsWriter.TryAttachDescriptor"/>: on the epoll loop a pipe's lines become events written and
/// flushed on the connection's thread, in order, and the end is heard after the last is flushed; on Kestrel's sockets
/// and under TLS the stream has no such thread and says so.
/// </summary>
public class ServerSentEventsDescriptorTests
{
    [Theory]
    [InlineData(ServerTransport.Epoll, "http://127.0.0.1:0/", true)]
    [InlineData(ServerTransport.KestrelEpoll, "http://127.0.0.1:0/", true)]
    [InlineData(ServerTransport.Kestrel, "http://127.0.0.1:0/", false)]
    [InlineData(ServerTransport.Epoll, "https://127.0.0.1:0/", false)]
    public async Task PipeAttached_ItsLinesAsEventsInOrder_ThenTheEnd_OrRefusedWithoutALoop(ServerTransport transport, string url, bool onLoop)
    {
        using var pipe = new AnonymousPipeServerStream(PipeDirection.Out);
        var attached = new TaskCompletionSource<bool>(TaskCreationOptions.RunContinuationsAsynchronously);
        await using var server = await WebTestServer.StartAsync(
            o => o.Transport = transport,
            (routes, _) => routes.MapGet("/events", async context =>
            {
                await using var events = await ServerSentEventsWriter.StartAsync(context, TimeSpan.Zero);
                var handler = new Handler();
                using var reader = new AnonymousPipeClientStream(PipeDirection.In, pipe.ClientSafePipeHandle);
                var onLoop = events.TryAttachDescriptor(reader.SafePipeHandle, handler);
                attached.TrySetResult(onLoop);
                if (onLoop)
                {
                    var error = await handler.Ended.Task;
                    await events.WriteEventAsync(error ?? "end of file", "end");
                }
            }),
            url);
        using var http = new HttpClient(new HttpClientHandler { ServerCertificateCustomValidationCallback = HttpClientHandler.DangerousAcceptAnyServerCertificateValidator });
        using var response = await http.GetAsync($"{url.Replace(":0/", $":{server.Port}/", StringComparison.Ordinal)}events", HttpCompletionOption.ResponseHeadersRead);
        Assert.Equal(onLoop, await attached.Task.WaitAsync(TimeSpan.FromSeconds(30)));
        if (!onLoop)
        {
            return;
        }

        var text = string.Concat(Enumerable.Range(0, 300).Select(i => $"line {i} é\n"));
        var bytes = Encoding.UTF8.GetBytes(text);
        for (var at = 0; at < bytes.Length; at += 1000)
        {
            pipe.Write(bytes, at, Math.Min(1000, bytes.Length - at));
        }

        pipe.Dispose();
        var body = await response.Content.ReadAsStringAsync().WaitAsync(TimeSpan.FromSeconds(30));
        var expected = string.Concat(Enumerable.Range(0, 300).Select(i => $"id: {i}\ndata: line {i} é\n\n")) + "event: end\ndata: end of file\n\n";
        Assert.Equal(expected, body);
    }

    /// <summary>One event per line, numbered; a line cut between reads (or a UTF-8 sequence) is kept for the next.</summary>
    private sealed class Handler : IServerSentEventsDescriptorHandler
    {
        private readonly Decoder _utf8 = Encoding.UTF8.GetDecoder();
        private readonly StringBuilder _line = new();
        private int _id;

        public TaskCompletionSource<string?> Ended { get; } = new(TaskCreationOptions.RunContinuationsAsynchronously);

        public void OnData(ServerSentEventsBatch events, ReadOnlySpan<byte> data)
        {
            var chars = new char[data.Length + 4];
            var n = _utf8.GetChars(data, chars, flush: false);
            foreach (var c in chars.AsSpan(0, n))
            {
                if (c != '\n')
                {
                    _line.Append(c);
                    continue;
                }

                events.WriteEvent(_line.ToString(), id: (_id++).ToString(System.Globalization.CultureInfo.InvariantCulture));
                _line.Clear();
            }
        }

        public void OnEnded(string? error) => Ended.TrySetResult(error);
    }
}
