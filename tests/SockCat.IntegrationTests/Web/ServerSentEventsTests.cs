using System.Text;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Routing;
using SockCat.Web;

namespace SockCat.IntegrationTests.Web;

public class ServerSentEventsTests
{
    private static readonly TimeSpan Timeout = TimeSpan.FromSeconds(30);

    private static void MapEvents(IEndpointRouteBuilder routes, TimeSpan? keepAlive) =>
        routes.MapGet("/events", async context =>
        {
            await using var events = await ServerSentEventsWriter.StartAsync(context, keepAlive);
            await events.WriteEventAsync($"resumed after {events.LastEventId ?? "nothing"}", eventName: "hello", id: "1");
            await events.WriteEventAsync("line one\nline two\r\nline three\rline four", id: "2");
            await events.WriteRetryAsync(TimeSpan.FromSeconds(3));
            try
            {
                await Task.Delay(System.Threading.Timeout.Infinite, context.RequestAborted);
            }
            catch (OperationCanceledException)
            {
            }
        });

    private static async Task<List<string>> ReadLinesAsync(StreamReader reader, int count)
    {
        using var timeout = new CancellationTokenSource(Timeout);
        var lines = new List<string>();
        while (lines.Count < count)
        {
            lines.Add(await reader.ReadLineAsync(timeout.Token) ?? throw new EndOfStreamException(string.Join("\n", lines)));
        }

        return lines;
    }

    [Fact]
    public async Task Events_ReachARealHttpClient_WithMultiLineDataSplit()
    {
        await using var server = await WebTestServer.StartAsync(map: (routes, _) => MapEvents(routes, TimeSpan.Zero), url: "http://127.0.0.1:0/");
        using var http = new HttpClient();

        using var response = await http.GetAsync($"http://127.0.0.1:{server.Port}/events", HttpCompletionOption.ResponseHeadersRead);
        Assert.Equal("text/event-stream", response.Content.Headers.ContentType!.MediaType);
        Assert.Equal("no-cache", response.Headers.CacheControl!.ToString());
        using var reader = new StreamReader(await response.Content.ReadAsStreamAsync(), Encoding.UTF8);

        Assert.Equal(
            ["event: hello", "id: 1", "data: resumed after nothing", "",
             "id: 2", "data: line one", "data: line two", "data: line three", "data: line four", "",
             "retry: 3000", ""],
            await ReadLinesAsync(reader, 12));
        await server.WaitForLogAsync("Now there are total 1 clients.");
    }

    [Fact]
    public async Task LastEventId_FromAReconnectingClient_IsReadForResume()
    {
        await using var server = await WebTestServer.StartAsync(map: (routes, _) => MapEvents(routes, TimeSpan.Zero), url: "http://127.0.0.1:0/");
        using var http = new HttpClient();
        using var request = new HttpRequestMessage(HttpMethod.Get, $"http://127.0.0.1:{server.Port}/events");
        request.Headers.Add("Last-Event-ID", "41");

        using var response = await http.SendAsync(request, HttpCompletionOption.ResponseHeadersRead);
        using var reader = new StreamReader(await response.Content.ReadAsStreamAsync(), Encoding.UTF8);

        Assert.Equal(["event: hello", "id: 1", "data: resumed after 41"], await ReadLinesAsync(reader, 3));
    }

    [Fact]
    public async Task SilentStream_GetsKeepAliveComments()
    {
        await using var server = await WebTestServer.StartAsync(map: (routes, _) => MapEvents(routes, TimeSpan.FromMilliseconds(100)), url: "http://127.0.0.1:0/");
        using var http = new HttpClient();

        using var response = await http.GetAsync($"http://127.0.0.1:{server.Port}/events", HttpCompletionOption.ResponseHeadersRead);
        using var reader = new StreamReader(await response.Content.ReadAsStreamAsync(), Encoding.UTF8);
        await ReadLinesAsync(reader, 12);

        // Nothing else is written after the events: the next lines can only be keep-alive comments, twice over.
        Assert.Equal([": keep-alive", "", ": keep-alive", ""], await ReadLinesAsync(reader, 4));
    }

    [Fact]
    public async Task ClientThatLeaves_IsRemovedFromTheRegistry()
    {
        await using var server = await WebTestServer.StartAsync(map: (routes, _) => MapEvents(routes, TimeSpan.FromMilliseconds(50)), url: "http://127.0.0.1:0/");
        using (var http = new HttpClient())
        {
            using var response = await http.GetAsync($"http://127.0.0.1:{server.Port}/events", HttpCompletionOption.ResponseHeadersRead);
            using var reader = new StreamReader(await response.Content.ReadAsStreamAsync(), Encoding.UTF8);
            await ReadLinesAsync(reader, 3);
        }

        await server.WaitForLogAsync("A client disconnected. Now there are total 0 clients.");
    }
}
