using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Microsoft.Playwright;
using SockCat.Endpoints;
using SockCat.Server;
using SockCat.Services.Echo;

namespace SockCat.BrowserTests;

/// <summary>
/// `sockcat serve echo ws://...` as a browser sees it: the page served at the WebSocket's own address opens the
/// WebSocket, and text and binary messages come back as they were sent; a page from another origin is refused.
/// </summary>
public class EchoPageTests(ChromiumFixture chromium) : IClassFixture<ChromiumFixture>
{
    private const float TimeoutMs = 30_000;

    private static async Task<(SockCatServer Server, EndpointUrl Url)> StartEchoAsync(params string[] allowedOrigins)
    {
        var options = new ServerOptions();
        options.Web.MapRoutes = (routes, listener) => routes.MapWebSocketEcho(listener.Path);
        foreach (var origin in allowedOrigins)
        {
            options.Web.AllowedOrigins.Add(origin);
        }

        var server = new SockCatServer(_ => EchoProtocol.Instance, options);
        var bound = await server.StartAsync([EndpointUrl.Parse("ws://127.0.0.1:0/")]);
        return (server, bound[0]);
    }

    /// <summary>A page on another origin (another port) that opens a WebSocket to ?target= and shows how it ends.</summary>
    private static async Task<(SockCatServer Server, EndpointUrl Url)> StartOtherOriginAsync()
    {
        const string page = """
            <!doctype html><meta charset="utf-8"><title>elsewhere</title>
            <p id="status">connecting</p>
            <script>
              const ws = new WebSocket(new URLSearchParams(location.search).get("target"));
              ws.onopen = () => { document.getElementById("status").textContent = "open"; };
              ws.onclose = e => { if (document.getElementById("status").textContent !== "open") document.getElementById("status").textContent = "closed " + e.code; };
            </script>
            """;
        var options = new ServerOptions();
        options.Web.MapRoutes = (routes, _) => routes.MapGet("/", (HttpContext context) =>
        {
            context.Response.ContentType = "text/html; charset=utf-8";
            return context.Response.WriteAsync(page);
        });
        var server = new SockCatServer(_ => EchoProtocol.Instance, options);
        var bound = await server.StartAsync([EndpointUrl.Parse("http://127.0.0.1:0/")]);
        return (server, bound[0]);
    }

    private static Task WaitForTextAsync(IPage page, string selector, string text) =>
        page.WaitForFunctionAsync(
            "([selector, text]) => [...document.querySelectorAll(selector)].some(e => e.textContent === text)",
            new object[] { selector, text },
            new PageWaitForFunctionOptions { Timeout = TimeoutMs });

    [Fact]
    public async Task EchoPage_InChromium_GetsTextAndBinaryMessagesBack()
    {
        var (server, url) = await StartEchoAsync();
        await using var _ = server;
        var page = await chromium.Browser.NewPageAsync();

        await page.GotoAsync($"http://127.0.0.1:{url.Port}/");
        await WaitForTextAsync(page, "#status", "open");
        await page.FillAsync("#text", "héllo, sockcat");
        await page.ClickAsync("#send");
        await WaitForTextAsync(page, ".line", "text: héllo, sockcat");
        await page.CheckAsync("#binary");
        await page.FillAsync("#text", "AB");
        await page.ClickAsync("#send");
        await WaitForTextAsync(page, ".line", "binary: 65,66");

        Assert.Equal(["text: héllo, sockcat", "binary: 65,66"], await page.Locator(".line").AllTextContentsAsync());
        await page.CloseAsync();
    }

    [Fact]
    public async Task PageFromAnotherOrigin_InChromium_CannotOpenTheWebSocket()
    {
        var (echo, echoUrl) = await StartEchoAsync();
        await using var _ = echo;
        var (other, otherUrl) = await StartOtherOriginAsync();
        await using var __ = other;
        var page = await chromium.Browser.NewPageAsync();

        await page.GotoAsync($"http://127.0.0.1:{otherUrl.Port}/?target=ws://127.0.0.1:{echoUrl.Port}/");

        // The browser reports a refused handshake as an abnormal close (1006); the server answered 403.
        await WaitForTextAsync(page, "#status", "closed 1006");
        await page.CloseAsync();
    }

    [Fact]
    public async Task PageFromAnAllowedOrigin_InChromium_OpensTheWebSocket()
    {
        var (other, otherUrl) = await StartOtherOriginAsync();
        await using var __ = other;
        var (echo, echoUrl) = await StartEchoAsync($"http://127.0.0.1:{otherUrl.Port}");
        await using var _ = echo;
        var page = await chromium.Browser.NewPageAsync();

        await page.GotoAsync($"http://127.0.0.1:{otherUrl.Port}/?target=ws://127.0.0.1:{echoUrl.Port}/");

        await WaitForTextAsync(page, "#status", "open");
        await page.CloseAsync();
    }
}
