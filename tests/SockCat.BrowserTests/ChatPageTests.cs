using System.Net;
using System.Net.Sockets;
using System.Text;
using Microsoft.Playwright;
using SockCat.Endpoints;
using SockCat.Server;
using SockCat.Services.Chat;

namespace SockCat.BrowserTests;

/// <summary>
/// `sockcat serve chat tcp://... --web http://...` in headless Chromium: two browser users, a line-protocol user and an
/// IRC user (both raw sockets) in one room, room messages and private messages each seen by the right people, markup
/// from users shown as text, and a page whose WebSocket drops coming back under its nick.
/// </summary>
public class ChatPageTests(ChromiumFixture chromium) : IClassFixture<ChromiumFixture>
{
    private const float TimeoutMs = 30_000;
    private const string Markup = "<img src=x onerror=alert(1)>";

    private static async Task<(SockCatServer Server, int TcpPort, int WebPort)> StartChatAsync()
    {
        var chat = new ChatService(new ChatHub());
        var options = new ServerOptions();
        options.Web.MapRoutes = chat.MapRoutes;
        var server = new SockCatServer(chat.CreateProtocol, options);
        var bound = await server.StartAsync([EndpointUrl.Parse("tcp://127.0.0.1:0"), EndpointUrl.Parse("http://127.0.0.1:0/")]);
        return (server, bound[0].Port, bound[1].Port);
    }

    private static Task WaitForAsync(IPage page, string script, params object[] args) =>
        page.WaitForFunctionAsync(script, args, new PageWaitForFunctionOptions { Timeout = TimeoutMs });

    private static Task WaitForTextAsync(IPage page, string selector, string text) => WaitForAsync(page,
        "([selector, text]) => [...document.querySelectorAll(selector)].some(e => e.textContent === text)", selector, text);

    /// <summary>Waits for a line in the open tab whose sender and text are these.</summary>
    private static Task WaitForLineAsync(IPage page, string from, string text) => WaitForAsync(page,
        "([from, text]) => [...document.querySelectorAll('#log .line')].some(l => l.querySelector('.from')?.textContent === from && l.querySelector('.text')?.textContent === text)",
        from, text);

    private async Task<(IPage Page, Func<bool> DialogOpened)> OpenPageAsync(int port)
    {
        var context = await chromium.Browser.NewContextAsync();
        var page = await context.NewPageAsync();
        var dialog = false;
        page.Dialog += (_, d) =>
        {
            dialog = true;
            _ = d.DismissAsync();
        };
        await page.GotoAsync($"http://127.0.0.1:{port}/");
        await WaitForTextAsync(page, "#status", "connected");
        return (page, () => dialog);
    }

    private static async Task EnterAsync(IPage page, string nick)
    {
        await page.FillAsync("#nick", nick);
        await page.ClickAsync("#connect");
        await WaitForTextAsync(page, "#me", nick);
    }

    private static async Task JoinAsync(IPage page, string room)
    {
        await page.FillAsync("#room-name", room);
        await page.ClickAsync("#join");
        await page.Locator($".tab[data-tab=\"{room}\"]").WaitForAsync(new LocatorWaitForOptions { Timeout = TimeoutMs });
    }

    private static async Task SayAsync(IPage page, string text)
    {
        await page.FillAsync("#text", text);
        await page.ClickAsync("#send");
    }

    [Fact]
    public async Task TwoBrowsers_ALineUser_AndAnIrcUser_TalkInARoomAndPrivately()
    {
        var (server, tcpPort, webPort) = await StartChatAsync();
        await using var _ = server;
        var (alice, aliceDialog) = await OpenPageAsync(webPort);
        var (bob, bobDialog) = await OpenPageAsync(webPort);

        // A nick with markup is refused, and the refusal shows it as text.
        await alice.FillAsync("#nick", Markup);
        await alice.ClickAsync("#connect");
        await WaitForAsync(alice, "t => document.getElementById('login-error').textContent.includes(t)", $"'{Markup}' cannot be a nickname");
        await EnterAsync(alice, "alice");
        await JoinAsync(alice, "#lobby");
        await EnterAsync(bob, "bob");
        await JoinAsync(bob, "#lobby");

        using var carol = await RawClient.ConnectAsync(tcpPort, "\n");
        await carol.SendAsync("/nick carol", "/join lobby");
        await carol.ExpectAsync("your current room");
        using var dave = await RawClient.ConnectAsync(tcpPort, "\r\n");
        await dave.SendAsync("NICK dave", "USER dave 0 * :Dave", "JOIN #lobby");
        Assert.Equal(":sockcat 353 dave = #lobby :@alice bob carol dave", await dave.ExpectAsync(" 353 "));
        await WaitForTextAsync(alice, "#members .member", "dave");
        Assert.Equal(["@alice", "bob", "carol", "dave"], await alice.Locator("#members .member").AllTextContentsAsync());

        // Room messages: each sender's reaches the three others.
        await SayAsync(alice, $"hello from alice {Markup}");
        await WaitForLineAsync(bob, "<alice>", $"hello from alice {Markup}");
        Assert.Equal($"[#lobby] <alice> hello from alice {Markup}", await carol.ExpectAsync("hello from alice"));
        Assert.Equal($":alice!alice@127.0.0.1 PRIVMSG #lobby :hello from alice {Markup}", await dave.ExpectAsync("hello from alice"));
        await SayAsync(bob, "hi from bob's browser");
        await WaitForLineAsync(alice, "<bob>", "hi from bob's browser");
        await carol.ExpectAsync("<bob> hi from bob's browser");
        await carol.SendAsync("hi from nc");
        await WaitForLineAsync(alice, "<carol>", "hi from nc");
        await WaitForLineAsync(bob, "<carol>", "hi from nc");
        await dave.ExpectAsync("PRIVMSG #lobby :hi from nc");
        await dave.SendAsync("PRIVMSG #lobby :hi from irc");
        await WaitForLineAsync(alice, "<dave>", "hi from irc");
        await WaitForLineAsync(bob, "<dave>", "hi from irc");
        Assert.Equal("[#lobby] <dave> hi from irc", await carol.ExpectAsync("hi from irc"));

        // A private message from IRC opens its own tab on alice's page, unread until she looks; bob's page never has it.
        await dave.SendAsync("PRIVMSG alice :secret for alice");
        await WaitForTextAsync(alice, ".tab[data-tab=\"dave\"] .unread", "1");
        await alice.ClickAsync(".tab[data-tab=\"dave\"]");
        await WaitForLineAsync(alice, "<dave>", "secret for alice");
        await SayAsync(alice, "secret back");
        Assert.Equal(":alice!alice@127.0.0.1 PRIVMSG dave :secret back", await dave.ExpectAsync("secret back"));

        // bob opens a conversation with carol from the member list.
        await bob.ClickAsync("#members .member[data-nick=\"carol\"]");
        await SayAsync(bob, "psst carol");
        Assert.Equal("[pm] <bob> psst carol", await carol.ExpectAsync("psst carol"));
        await carol.SendAsync("/msg bob got it");
        await WaitForLineAsync(bob, "<carol>", "got it");
        Assert.Equal(0, await bob.Locator(".tab[data-tab=\"dave\"]").CountAsync());
        await bob.ClickAsync(".tab[data-tab=\"#lobby\"]");
        Assert.DoesNotContain("secret for alice", string.Join("\n", await bob.Locator("#log .line").AllTextContentsAsync()));

        // Markup from users stayed text: no element was made from it, and no script ran.
        await alice.ClickAsync(".tab[data-tab=\"#lobby\"]");
        await WaitForLineAsync(alice, "<alice>", $"hello from alice {Markup}");
        Assert.Equal(0, await alice.Locator("img").CountAsync());
        Assert.Equal(0, await bob.Locator("img").CountAsync());
        Assert.False(aliceDialog() || bobDialog());

        if (Environment.GetEnvironmentVariable("SOCKCAT_CHAT_SCREENSHOT") is { Length: > 0 } screenshot)
        {
            await alice.SetViewportSizeAsync(1100, 560);
            await alice.ScreenshotAsync(new PageScreenshotOptions { Path = screenshot });
        }

        // The WebSocket drops: the page comes back under the same nick, in the same rooms.
        await alice.EvaluateAsync("() => S.ws.close()");
        await WaitForTextAsync(alice, "#status", "back as alice");
        await carol.SendAsync("are you back?");
        await WaitForLineAsync(alice, "<carol>", "are you back?");
        await carol.SendAsync("/who lobby");
        Assert.Equal("*** in #lobby (4): @alice bob carol dave", await carol.ExpectAsync("*** in #lobby"));
    }

    /// <summary>A raw socket speaking lines (LF for the line protocol, CRLF for IRC), each wait bounded.</summary>
    private sealed class RawClient : IDisposable
    {
        private readonly Socket _socket;
        private readonly NetworkStream _stream;
        private readonly StreamReader _reader;
        private readonly string _eol;
        private readonly List<string> _seen = [];

        private RawClient(Socket socket, string eol)
        {
            _socket = socket;
            _stream = new NetworkStream(socket, ownsSocket: true);
            _reader = new StreamReader(_stream, new UTF8Encoding(false));
            _eol = eol;
        }

        public static async Task<RawClient> ConnectAsync(int port, string eol)
        {
            var socket = new Socket(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp) { NoDelay = true };
            await socket.ConnectAsync(new IPEndPoint(IPAddress.Loopback, port));
            return new RawClient(socket, eol);
        }

        public async Task SendAsync(params string[] lines) =>
            await _stream.WriteAsync(Encoding.UTF8.GetBytes(string.Concat(lines.Select(l => l + _eol))));

        public async Task<string> ExpectAsync(string text)
        {
            using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(30));
            while (true)
            {
                string? line;
                try
                {
                    line = await _reader.ReadLineAsync(timeout.Token);
                }
                catch (OperationCanceledException)
                {
                    throw new Xunit.Sdk.XunitException($"no line with '{text}' within 30 s; read:\n{string.Join("\n", _seen)}");
                }

                if (line is null)
                {
                    throw new Xunit.Sdk.XunitException($"closed before a line with '{text}'; read:\n{string.Join("\n", _seen)}");
                }

                _seen.Add(line);
                if (line.Contains(text, StringComparison.Ordinal))
                {
                    return line;
                }
            }
        }

        public void Dispose()
        {
            _reader.Dispose();
            _socket.Dispose();
        }
    }
}
