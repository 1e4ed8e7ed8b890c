using System.Net.WebSockets;
using SockCat.Client;
using SockCat.Client.WebSockets;
using SockCat.Endpoints;
using SockCat.Streams;

namespace SockCat.Cli.Commands;

/// <summary>`sockcat connect ws://...`: websocat's core — lines of stdin as text messages, messages as lines on stdout.</summary>
internal static class ConnectWebSocket
{
    public static async Task<int> RunAsync(
        EndpointUrl url, ConnectOptions connect, WebSocketSettings settings, byte[]? send, bool crlf, bool verbose, TextWriter error, StopSignals signals)
    {
        ClientWebSocket socket;
        try
        {
            socket = await WebSocketClient.ConnectAsync(url, new WebSocketConnectOptions
            {
                Connect = connect,
                Headers = settings.Headers,
                Origin = settings.Origin,
                SubProtocols = settings.SubProtocols,
            }, signals.Stop).ConfigureAwait(false);
        }
        catch (OperationCanceledException) when (signals.Stop.IsCancellationRequested)
        {
            return signals.ExitCode;
        }

        using (socket)
        {
            if (verbose)
            {
                var protocol = socket.SubProtocol is { Length: > 0 } p ? $", subprotocol {p}" : "";
                await error.WriteLineAsync($"sockcat: connected to {url} (WebSocket{protocol}){(connect.Proxy is { } via ? $" via {via}" : "")}").ConfigureAwait(false);
            }

            var console = ConsoleStreams.Current;
            Stream input = send is not null ? new MemoryStream(send, writable: false) : new StdinStream(console.OpenInput(), crlf);
            var result = await WebSocketBridge.RunAsync(input, console.OpenOutput(), socket, new WebSocketBridgeOptions { Binary = settings.Binary }, signals.Stop).ConfigureAwait(false);
            if (verbose)
            {
                await error.WriteLineAsync($"sockcat: {Counted.Of(result.MessagesSent, "message")} sent, {Counted.Of(result.MessagesReceived, "message")} received").ConfigureAwait(false);
            }

            if (result.Bridge.Outcome is StreamBridgeOutcome.Completed or StreamBridgeOutcome.QuitAfterInputEnd
                && result.CloseStatus is null or WebSocketCloseStatus.NormalClosure or WebSocketCloseStatus.EndpointUnavailable)
            {
                return ExitCodes.Success;
            }

            if (result.Bridge.Outcome == StreamBridgeOutcome.Completed && result.CloseStatus is { } closed)
            {
                var why = string.IsNullOrEmpty(result.CloseDescription) ? "" : $" \"{result.CloseDescription}\"";
                var hint = closed switch
                {
                    WebSocketCloseStatus.InvalidPayloadData => "a text message that is not UTF-8 is refused: send bytes with --binary",
                    WebSocketCloseStatus.MessageTooBig => "the server takes smaller messages: split the input into shorter lines",
                    WebSocketCloseStatus.PolicyViolation => "the server refused what was sent",
                    _ => "see the server's log",
                };
                await error.WriteLineAsync($"sockcat: {url} closed the WebSocket with {(int)closed}{(Enum.IsDefined(closed) ? $" ({closed})" : "")}{why}; {hint}").ConfigureAwait(false);
                return ExitCodes.ConnectionLost;
            }

            return await BridgeReport.ExitCodeAsync(result.Bridge, url.ToString(), null, verbose: false, signals, error).ConfigureAwait(false);
        }
    }
}
