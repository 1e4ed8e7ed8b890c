using Microsoft.Playwright;
using SockCat.Endpoints;
using SockCat.Server;
using SockCat.Services.Exec;

namespace SockCat.BrowserTests;

/// <summary>
/// `sockcat serve exec --web` as a browser sees it: the page shows the program's output live with its ANSI colours,
/// sends the input line to the program's stdin, and shows how the program ended; in broadcast mode an EventSource
/// gets the same lines.
/// </summary>
[System.Runtime.Versioning.UnsupportedOSPlatform("windows")]
public class ExecPageTests(ChromiumFixture chromium) : IClassFixture<ChromiumFixture>
{
    private const float TimeoutMs = 30_000;

    private static async Task<(SockCatServer Server, ExecService Exec, EndpointUrl Url)> StartAsync(ExecOptions exec)
    {
        var service = new ExecService(exec);
        var options = new ServerOptions();
        options.Web.MapRoutes = (routes, listener) => routes.MapExec(service, listener.Path);
        var server = new SockCatServer(service.CreateProtocol, options);
        var bound = await server.StartAsync([EndpointUrl.Parse("http://127.0.0.1:0/")]);
        service.Start();
        return (server, service, bound[0]);
    }

    private static Task WaitForAsync(IPage page, string script, object? arg = null) =>
        page.WaitForFunctionAsync(script, arg, new PageWaitForFunctionOptions { Timeout = TimeoutMs });

    [Fact]
    public async Task ExecPage_InChromium_ColouredOutputLive_InputToStdin_ExitShown()
    {
        var (server, exec, url) = await StartAsync(new ExecOptions
        {
            Program = "/bin/sh",
            Arguments = ["-c", "printf 'plain \\033[31mred\\033[0m\\n'; read line; echo \"you typed $line\"; exit 3"],
        });
        await using var _ = server;
        await using var __ = exec;
        var page = await chromium.Browser.NewPageAsync();

        await page.GotoAsync($"http://127.0.0.1:{url.Port}/");
        await WaitForAsync(page, "() => document.getElementById('status').textContent === 'running'");
        await WaitForAsync(page, "() => [...document.querySelectorAll('#output span')].some(s => s.textContent === 'red')");
        var red = await page.EvalOnSelectorAllAsync<string>("#output span", "spans => spans.find(s => s.textContent === 'red').style.color");
        Assert.Equal("rgb(204, 51, 51)", red);

        await page.FillAsync("#input", "hello from chromium");
        await page.PressAsync("#input", "Enter");
        await WaitForAsync(page, "() => document.getElementById('output').textContent.includes('you typed hello from chromium')");
        await WaitForAsync(page, "() => document.getElementById('status').textContent === 'the program exited with code 3'");
        await page.CloseAsync();
    }

    [Fact]
    public async Task ExecPage_Broadcast_TwoPagesSeeTheSameLines_EventSourceToo_NoInputLine()
    {
        var gate = Path.Combine(Directory.CreateTempSubdirectory("sockcat-exec-").FullName, "go");
        var (server, exec, url) = await StartAsync(new ExecOptions
        {
            Program = "/bin/sh",
            Arguments = ["-c", $"echo early; while [ ! -e {gate} ]; do sleep 0.02; done; echo late"],
            Broadcast = true,
        });
        await using var _ = server;
        await using var __ = exec;
        var first = await chromium.Browser.NewPageAsync();
        var second = await chromium.Browser.NewPageAsync();
        await first.GotoAsync($"http://127.0.0.1:{url.Port}/");
        await second.GotoAsync($"http://127.0.0.1:{url.Port}/");
        await second.EvaluateAsync("() => { window.events = []; const es = new EventSource('/events'); es.addEventListener('stdout', e => window.events.push(e.lastEventId + ' ' + e.data)); }");
        foreach (var page in new[] { first, second })
        {
            await WaitForAsync(page, "() => document.getElementById('output').textContent.includes('early')");   // from the scrollback
        }

        await WaitForAsync(second, "() => window.events.length === 1");
        File.WriteAllText(gate, "");
        foreach (var page in new[] { first, second })
        {
            await WaitForAsync(page, "() => document.getElementById('output').textContent.includes('late')");
            await WaitForAsync(page, "() => document.getElementById('status').textContent === 'the program exited with code 0'");
            Assert.True(await page.IsHiddenAsync("#form"));
        }

        await WaitForAsync(second, "() => window.events.length === 2");
        Assert.Equal(["0 early", "1 late"], await second.EvaluateAsync<string[]>("() => window.events"));
    }
}
