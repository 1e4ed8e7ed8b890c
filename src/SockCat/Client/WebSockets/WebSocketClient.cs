using System.Net;
using System.Net.Http;
using System.Net.WebSockets;
using SockCat.Endpoints;

namespace SockCat.Client.WebSockets;

/// <summary>
/// Opens a WebSocket to a ws:// or wss:// URL, as websocat and wscat do, on .NET's own <see cref="ClientWebSocket"/>
/// (framing, masking, ping/pong and the close handshake are the BCL's). The connection underneath is made by
/// <see cref="SocketClient"/>, so a refused port, a timeout or an untrusted certificate fail with the same
/// <see cref="ConnectException"/> and one-line messages as tcp:// and tls:// do.
/// </summary>
public static class WebSocketClient
{
    /// <summary>Connects, upgrades, and returns the open WebSocket (the caller disposes it).</summary>
    /// <exception cref="ConnectException">
    /// The connection could not be made (as <see cref="SocketClient.ConnectAsync"/>), or the server answered the upgrade
    /// with another HTTP status (<see cref="ConnectFailure.UpgradeRefused"/>; the status is in <see cref="ConnectException.ErrorNumber"/>).
    /// </exception>
    /// <exception cref="ArgumentException"><paramref name="url"/> is not ws:// or wss://.</exception>
    public static async Task<ClientWebSocket> ConnectAsync(EndpointUrl url, WebSocketConnectOptions? options = null, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(url);
        options ??= new WebSocketConnectOptions();
        if (url.Scheme is not (EndpointScheme.WebSocket or EndpointScheme.WebSocketSecure))
        {
            throw new ArgumentException($"{url} is not a WebSocket URL; use ws://HOST:PORT/PATH or wss://HOST:PORT/PATH", nameof(url));
        }

        // The stream underneath comes from SocketClient, TLS included for wss://; the handler is told ws:// so that it
        // speaks HTTP/1.1 over that stream as it is, without a TLS layer of its own.
        var transport = url.Scheme == EndpointScheme.WebSocketSecure ? EndpointScheme.Tls : EndpointScheme.Tcp;
        var streamUrl = EndpointUrl.Parse($"{EndpointUrl.SchemeName(transport)}://{Bracket(url.Host)}:{url.Port}");
        ConnectException? connectFailure = null;
        using var handler = new SocketsHttpHandler
        {
            ConnectCallback = async (_, token) =>
            {
                try
                {
                    var connection = await SocketClient.ConnectAsync(streamUrl, options.Connect, token).ConfigureAwait(false);
                    return connection.Stream;
                }
                catch (ConnectException e)
                {
                    connectFailure = e;
                    throw;
                }
            },
            UseProxy = false,
            AllowAutoRedirect = false,
        };
        using var invoker = new HttpMessageInvoker(handler, disposeHandler: false);
        var socket = new ClientWebSocket();
        socket.Options.CollectHttpResponseDetails = true;
        socket.Options.KeepAliveInterval = options.KeepAliveInterval;
        foreach (var (name, value) in options.Headers)
        {
            socket.Options.SetRequestHeader(name, value);
        }

        if (options.Origin is { } origin)
        {
            socket.Options.SetRequestHeader("Origin", origin);
        }

        foreach (var protocol in options.SubProtocols)
        {
            socket.Options.AddSubProtocol(protocol);
        }

        var target = new Uri($"ws://{Bracket(url.Host)}:{url.Port}{url.Path}");
        using var timeout = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        if (options.Connect.Timeout != Timeout.InfiniteTimeSpan)
        {
            // SocketClient times the connection; this bounds the upgrade's answer as well.
            timeout.CancelAfter(options.Connect.Timeout * (options.Connect.Retries + 1) + options.Connect.RetryInterval * options.Connect.Retries);
        }

        try
        {
            await socket.ConnectAsync(target, invoker, timeout.Token).ConfigureAwait(false);
            return socket;
        }
        catch (Exception) when (connectFailure is not null)
        {
            socket.Dispose();
            throw connectFailure;
        }
        catch (WebSocketException e) when (socket.HttpStatusCode is var status && status != 0)
        {
            socket.Dispose();
            throw Refused(url, status, e);
        }
        catch (OperationCanceledException e) when (!cancellationToken.IsCancellationRequested)
        {
            socket.Dispose();
            throw new ConnectException(url, ConnectFailure.TimedOut, 110, "ETIMEDOUT",
                $"{url} did not answer the WebSocket upgrade within {options.Connect.Timeout.TotalSeconds:0.###} s", "is it a WebSocket endpoint, and is the server busy?", e);
        }
        catch (Exception e) when (e is WebSocketException or HttpRequestException or IOException)
        {
            socket.Dispose();
            throw new ConnectException(url, ConnectFailure.UpgradeRefused, 0, "WS_HANDSHAKE",
                $"{url} did not upgrade to a WebSocket: {e.Message.TrimEnd('.')}", "is it a WebSocket endpoint (and not, say, plain TCP)?", e);
        }
    }

    private static ConnectException Refused(EndpointUrl url, HttpStatusCode status, Exception inner)
    {
        var code = (int)status;
        var hint = code switch
        {
            403 => "a server that checks origins refuses other pages' origins: pass the Origin it expects (--origin), or none",
            404 => "no WebSocket at that path: check the path after the port",
            401 => "the server wants credentials: pass them in a header (--header 'Authorization: ...')",
            426 or 400 => "is it a WebSocket endpoint?",
            _ => "is it a WebSocket endpoint, and is the path right?",
        };
        return new ConnectException(url, ConnectFailure.UpgradeRefused, code, $"HTTP_{code}",
            $"{url} answered HTTP {code} {ReasonPhrase(status)} instead of upgrading to a WebSocket", hint, inner);
    }

    private static string ReasonPhrase(HttpStatusCode status) => status switch
    {
        HttpStatusCode.Forbidden => "Forbidden",
        HttpStatusCode.NotFound => "Not Found",
        HttpStatusCode.Unauthorized => "Unauthorized",
        HttpStatusCode.BadRequest => "Bad Request",
        HttpStatusCode.ServiceUnavailable => "Service Unavailable",
        _ => status.ToString(),
    };

    private static string Bracket(string host) => host.Contains(':', StringComparison.Ordinal) ? $"[{host}]" : host;
}
