using System.IO.Pipes;
using System.Net.WebSockets;
using SockCat.Web;

namespace SockCat.Services.Exec;

/// <summary>
/// A WebSocket client in per-client mode, as websocketd: the program's output one text message per line (under a pty,
/// each chunk as it comes), each text message a line of its stdin (a binary message its bytes as they are). The next
/// message is not read until the program has taken the last one, and a line is not read from the program until the
/// last one is queued within the WebSocket's bound. Where the WebSocket's connection runs on the epoll loop, the
/// program's output pipe is read on that connection's thread (<see cref="WebSocketSession.TryAttachDescriptor"/>): each
/// read split into lines and written as frames in the same callback, the pipe not read while the connection's output is
/// over its bound. The close frame's reason says how the program ended.
/// </summary>
internal sealed class ExecWebSocketClient(ExecService service, WebSocketSession session) : IWebSocketMessageHandler, IExecClient
{
    private readonly SemaphoreSlim _taken = new(0);
    private readonly LineSplitter _splitter = new(!service.Options.Pty, service.Options.MaxLogLineLength * 16);
    private ExecSession? _session;

    public string Peer => session.Peer;

    public async ValueTask OnOpenedAsync(WebSocketSession webSocket)
    {
        if (!service.TryReserve())
        {
            ExecLog.Refused(service.Logger, Peer, $"{service.Options.MaxProcesses} programs running");
            await webSocket.SendTextAsync(service.FullMessage.TrimEnd('\n')).ConfigureAwait(false);
            webSocket.Close((WebSocketCloseStatus)1013, "too many programs running");
            return;
        }

        var query = webSocket.HttpContext.Request.Query;
        _ = int.TryParse(query["rows"], out var rows);
        _ = int.TryParse(query["cols"], out var columns);
        _session = new ExecSession(service, this);
        _session.Start(ExecEnvironment.ForRequest(service.Options, webSocket.HttpContext), Math.Clamp(rows, 0, 1000), Math.Clamp(columns, 0, 1000));
    }

    public async ValueTask OnMessageAsync(WebSocketSession webSocket, WebSocketMessage message)
    {
        if (_session is null)
        {
            return;
        }

        if (message.IsText)
        {
            // websocketd gives each text message to the program as a line.
            var line = new byte[message.Payload.Length + 1];
            message.Payload.Span.CopyTo(line);
            line[^1] = (byte)'\n';
            _session.Input(line);
        }
        else
        {
            _session.Input(message.Payload.Span);
        }

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
        _session?.ClientGone();
        return ValueTask.CompletedTask;
    }

    public async ValueTask<bool> WriteOutputAsync(ReadOnlyMemory<byte> data, bool stderr, CancellationToken cancellationToken)
    {
        foreach (var text in _splitter.Add(data.Span))
        {
            if (!await session.SendTextAsync(text, cancellationToken).ConfigureAwait(false))
            {
                return false;
            }
        }

        return true;
    }

    public Task CarryOutputAsync(Stream source, bool stderr, Func<Task> pump)
    {
        if (source is not PipeStream pipe)
        {
            return pump();
        }

        var carrier = new LoopOutput(_splitter);
        return session.TryAttachDescriptor(pipe.SafePipeHandle, carrier) ? carrier.Ended.Task : pump();
    }

    // The last piece of a line with no newline goes through the session: its frame follows the loop's, which were all
    // in the connection's output before the pipe's end completed the carrier.
    public void OutputEnded()
    {
        foreach (var text in _splitter.Add([], final: true))
        {
            session.TrySendText(text);
        }
    }

    public void Exited(int code) => session.Close(WebSocketCloseStatus.NormalClosure, $"the program {ChildProcess.DescribeExit(code)}");

    public void InputTaken() => _taken.Release();

    public void Fail(string line)
    {
        session.TrySendText(line.TrimEnd('\n'));
        session.Close(WebSocketCloseStatus.InternalServerError, "the program could not be started");
    }

    /// <summary>One output pipe on the WebSocket's connection thread: its lines as text messages, as they are read.</summary>
    private sealed class LoopOutput(LineSplitter splitter) : IWebSocketDescriptorHandler
    {
        public TaskCompletionSource Ended { get; } = new(TaskCreationOptions.RunContinuationsAsynchronously);

        public void OnData(WebSocketMessageWriter messages, ReadOnlySpan<byte> data)
        {
            // Once the WebSocket is closing the lines go nowhere; the pipe is read on so the program is not held.
            foreach (var text in splitter.Add(data))
            {
                messages.WriteText(text);
            }
        }

        public void OnEnded(WebSocketMessageWriter messages, string? error) => Ended.TrySetResult();
    }
}
