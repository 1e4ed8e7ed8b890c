using System.Net.WebSockets;
using SockCat.Web;

namespace SockCat.Services.Exec;

/// <summary>
/// A WebSocket viewer of a broadcast program: each line one text message, queued without waiting; a viewer with more
/// than <see cref="ExecOptions.ViewerQueueBytes"/> unsent drops lines (never cut) and is told how many it missed.
/// </summary>
internal sealed class ExecWebSocketViewer(ExecService service, BroadcastHub hub, WebSocketSession session) : IWebSocketMessageHandler, IExecViewer
{
    private readonly SemaphoreSlim _taken = new(0);
    private long _missed;

    public ValueTask OnOpenedAsync(WebSocketSession webSocket)
    {
        hub.Join(this);
        return ValueTask.CompletedTask;
    }

    public async ValueTask OnMessageAsync(WebSocketSession webSocket, WebSocketMessage message)
    {
        if (!service.Options.BroadcastInput)
        {
            return;
        }

        var line = new byte[message.Payload.Length + (message.IsText ? 1 : 0)];
        message.Payload.Span.CopyTo(line);
        if (message.IsText)
        {
            line[^1] = (byte)'\n';
        }

        hub.Input(this, line);
        try
        {
            await _taken.WaitAsync(webSocket.Ended).ConfigureAwait(false);
        }
        catch (OperationCanceledException)
        {
            // The WebSocket ended while the program had not taken the input: nothing more to read.
        }
    }

    public ValueTask OnClosedAsync(WebSocketSession webSocket, string? reason)
    {
        hub.Leave(this);
        return ValueTask.CompletedTask;
    }

    public void Deliver(ExecLine line)
    {
        if (session.QueuedBytes > service.Options.ViewerQueueBytes)
        {
            _missed++;
            return;
        }

        if (_missed > 0)
        {
            session.TrySendText($"sockcat: missed {_missed} line{(_missed == 1 ? "" : "s")} (this client reads slower than the program writes)");
            _missed = 0;
        }

        if (line.Kind != ExecLineKind.Exit || service.Options.Restart)
        {
            session.TrySendText(line.Text);
        }
    }

    public void Ended() => session.Close(WebSocketCloseStatus.NormalClosure,
        hub.FinalExitCode is { } code ? $"the program {ChildProcess.DescribeExit(code)}" : "the program could not be started");

    public void InputTaken() => _taken.Release();
}
