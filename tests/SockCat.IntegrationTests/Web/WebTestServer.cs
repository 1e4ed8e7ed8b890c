using System.Net.Security;
using System.Net.WebSockets;
using Microsoft.AspNetCore.Routing;
using Microsoft.Extensions.Logging;
using SockCat.Endpoints;
using SockCat.IntegrationTests.Server.Udp;
using SockCat.Server;
using SockCat.Services.Echo;
using SockCat.Testing;

namespace SockCat.IntegrationTests.Web;

/// <summary>A SockCat server with one web listener on port 0, its log lines captured.</summary>
internal sealed class WebTestServer : IAsyncDisposable
{
    private WebTestServer(SockCatServer server, EndpointUrl url, CapturingLogger log)
    {
        Server = server;
        Url = url;
        Log = log;
    }

    public SockCatServer Server { get; }

    public EndpointUrl Url { get; }

    public int Port => Url.Port;

    public CapturingLogger Log { get; }

    public Uri WebSocketUri => new($"{(Url.IsSecure ? "wss" : "ws")}://127.0.0.1:{Port}{Url.Path}");

    /// <summary>Starts a server whose web listener maps <paramref name="map"/> (the WebSocket echo at the URL's path by default).</summary>
    public static async Task<WebTestServer> StartAsync(
        Action<ServerOptions>? configure = null, Action<IEndpointRouteBuilder, EndpointUrl>? map = null, string url = "ws://127.0.0.1:0/")
    {
        var log = new CapturingLogger();
        var options = new ServerOptions();
        options.Web.MapRoutes = map ?? ((routes, listener) => routes.MapWebSocketEcho(listener.Path));
        if (EndpointUrl.Parse(url).IsSecure)
        {
            options.ServerCertificate = TestCertificates.Localhost;
        }

        configure?.Invoke(options);
        var server = new SockCatServer(_ => EchoProtocol.Instance, options, new CapturingLoggerFactory(log));
        var bound = await server.StartAsync([EndpointUrl.Parse(url)]);
        return new WebTestServer(server, bound[0], log);
    }

    /// <summary>A client WebSocket connected to the listener (accepting the test certificate on wss://).</summary>
    public async Task<ClientWebSocket> ConnectAsync(string? origin = null)
    {
        var client = new ClientWebSocket();
        if (origin is not null)
        {
            client.Options.SetRequestHeader("Origin", origin);
        }

        if (Url.IsSecure)
        {
            client.Options.RemoteCertificateValidationCallback = (_, _, _, errors) => errors is SslPolicyErrors.None or SslPolicyErrors.RemoteCertificateChainErrors;
        }

        using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(30));
        await client.ConnectAsync(WebSocketUri, timeout.Token);
        return client;
    }

    /// <summary>Waits until the log holds a line that contains <paramref name="text"/>; fails after 30 s.</summary>
    public async Task<string> WaitForLogAsync(string text)
    {
        var deadline = DateTime.UtcNow.AddSeconds(30);
        while (true)
        {
            if (Log.Messages.FirstOrDefault(m => m.Contains(text, StringComparison.Ordinal)) is { } line)
            {
                return line;
            }

            Assert.True(DateTime.UtcNow < deadline, $"no log line with '{text}' in:\n{string.Join("\n", Log.Messages)}");
            await Task.Delay(10);
        }
    }

    public async ValueTask DisposeAsync() => await Server.DisposeAsync();

    private sealed class CapturingLoggerFactory(CapturingLogger log) : ILoggerFactory
    {
        public ILogger CreateLogger(string categoryName) => log;

        public void AddProvider(ILoggerProvider provider)
        {
        }

        public void Dispose()
        {
        }
    }
}
