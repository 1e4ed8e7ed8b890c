using System.Globalization;
using System.IO.Pipes;
using System.Threading.Channels;
using Microsoft.AspNetCore.Http;
using SockCat.Web;

namespace SockCat.Services.Exec;

/// <summary>
/// Server-Sent Events for curl and EventSource users: <c>event: stdout|stderr|exit</c>, one <c>data:</c> per line, the
/// line's number as its id. In broadcast mode a reconnecting EventSource resumes after its <c>Last-Event-ID</c> from
/// the scrollback, and one that has seen the end gets 204 (which stops it reconnecting); in per-client mode each
/// request runs the program once, its stdin empty.
/// </summary>
internal static class ExecEvents
{
    public static async Task ServeAsync(HttpContext context, ExecService service)
    {
        if (!HttpMethods.IsGet(context.Request.Method))
        {
            context.Response.StatusCode = StatusCodes.Status405MethodNotAllowed;
            return;
        }

        if (service.Hub is { } hub)
        {
            await ServeBroadcastAsync(context, service, hub).ConfigureAwait(false);
        }
        else
        {
            await ServeOneRunAsync(context, service).ConfigureAwait(false);
        }
    }

    private static async Task ServeBroadcastAsync(HttpContext context, ExecService service, BroadcastHub hub)
    {
        var after = long.TryParse(context.Request.Headers["Last-Event-ID"], NumberStyles.None, CultureInfo.InvariantCulture, out var last) ? last : -1;
        if (hub.FinalExitCode is not null && after >= hub.LastSequence)
        {
            context.Response.StatusCode = StatusCodes.Status204NoContent;   // seen it all: EventSource stops here
            return;
        }

        await using var events = await ServerSentEventsWriter.StartAsync(context).ConfigureAwait(false);
        var viewer = new Viewer(service.Options.ViewerQueueBytes);
        hub.Join(viewer, after);
        try
        {
            await foreach (var item in viewer.Lines.Reader.ReadAllAsync(context.RequestAborted).ConfigureAwait(false))
            {
                Interlocked.Add(ref viewer.QueuedBytes, -item.Line.Bytes.Length);
                if (item.Missed > 0)
                {
                    await events.WriteEventAsync(item.Missed.ToString(CultureInfo.InvariantCulture), "missed", cancellationToken: context.RequestAborted).ConfigureAwait(false);
                }

                await WriteAsync(events, item.Line, context.RequestAborted).ConfigureAwait(false);
            }
        }
        catch (Exception e) when (e is OperationCanceledException or IOException)
        {
        }
        finally
        {
            hub.Leave(viewer);
        }
    }

    private static async Task ServeOneRunAsync(HttpContext context, ExecService service)
    {
        if (!service.TryReserve())
        {
            context.Response.StatusCode = StatusCodes.Status503ServiceUnavailable;
            await context.Response.WriteAsync(service.FullMessage).ConfigureAwait(false);
            return;
        }

        await using var events = await ServerSentEventsWriter.StartAsync(context).ConfigureAwait(false);
        var client = new OneRun(events, context);
        var session = new ExecSession(service, client);
        session.Start(ExecEnvironment.ForRequest(service.Options, context));
        session.EndInput();
        using (context.RequestAborted.Register(session.ClientGone))
        {
            try
            {
                await client.Done.Task.WaitAsync(context.RequestAborted).ConfigureAwait(false);
            }
            catch (OperationCanceledException)
            {
            }
        }
    }

    private static Task WriteAsync(ServerSentEventsWriter events, ExecLine line, CancellationToken cancellationToken) =>
        events.WriteEventAsync(
            line.Kind == ExecLineKind.Exit && line.ExitCode is { } code ? ChildProcess.DescribeExit(code) : line.Text,
            line.Kind switch { ExecLineKind.Stderr => "stderr", ExecLineKind.Exit => "exit", _ => "stdout" },
            line.Sequence.ToString(CultureInfo.InvariantCulture),
            cancellationToken);

    /// <summary>A broadcast viewer on an event stream: a queue bounded in bytes between the hub and the response.</summary>
    private sealed class Viewer(int maxQueued) : IExecViewer
    {
        public readonly Channel<(ExecLine Line, long Missed)> Lines = Channel.CreateUnbounded<(ExecLine, long)>(new UnboundedChannelOptions { SingleReader = true, SingleWriter = true });
        public int QueuedBytes;
        private long _missed;

        public void Deliver(ExecLine line)
        {
            if (Volatile.Read(ref QueuedBytes) > maxQueued)
            {
                _missed++;
                return;
            }

            Interlocked.Add(ref QueuedBytes, line.Bytes.Length);
            Lines.Writer.TryWrite((line, _missed));
            _missed = 0;
        }

        public void Ended() => Lines.Writer.TryComplete();

        public void InputTaken()
        {
        }
    }

    /// <summary>One run of the program for one event stream.</summary>
    private sealed class OneRun(ServerSentEventsWriter events, HttpContext context) : IExecClient
    {
        private readonly LineSplitter _splitter = new(wholeLines: true, 64 * 1024);
        private long _id;

        public TaskCompletionSource Done { get; } = new(TaskCreationOptions.RunContinuationsAsynchronously);

        public string Peer { get; } = $"{context.Connection.RemoteIpAddress}:{context.Connection.RemotePort}";

        public async ValueTask<bool> WriteOutputAsync(ReadOnlyMemory<byte> data, bool stderr, CancellationToken cancellationToken)
        {
            try
            {
                foreach (var text in _splitter.Add(data.Span))
                {
                    await events.WriteEventAsync(text, stderr ? "stderr" : "stdout", (_id++).ToString(CultureInfo.InvariantCulture), cancellationToken).ConfigureAwait(false);
                }

                return true;
            }
            catch (Exception e) when (e is OperationCanceledException or IOException or ObjectDisposedException)
            {
                return false;
            }
        }

        public Task CarryOutputAsync(Stream source, bool stderr, Func<Task> pump)
        {
            if (source is not PipeStream pipe)
            {
                return pump();
            }

            var carrier = new LoopOutput(this, stderr);
            return events.TryAttachDescriptor(pipe.SafePipeHandle, carrier) ? carrier.Ended.Task : pump();
        }

        public void OutputEnded()
        {
        }

        public void Exited(int code) => _ = FinishAsync(code);

        public void InputTaken()
        {
        }

        public void Fail(string line) => _ = FinishAsync(null);

        private async Task FinishAsync(int? code)
        {
            try
            {
                // A last line with no newline (a prompt, printf's output) before the exit, as the WebSocket sends it.
                foreach (var text in _splitter.Add([], final: true))
                {
                    await events.WriteEventAsync(text, "stdout", (_id++).ToString(CultureInfo.InvariantCulture)).ConfigureAwait(false);
                }

                await events.WriteEventAsync(code is { } c ? ChildProcess.DescribeExit(c) : "the program could not be started", "exit", (_id++).ToString(CultureInfo.InvariantCulture)).ConfigureAwait(false);
                // One run is all there is: a browser's EventSource must not start the program again.
                await events.WriteRetryAsync(TimeSpan.FromDays(1)).ConfigureAwait(false);
            }
            catch (Exception e) when (e is OperationCanceledException or IOException or ObjectDisposedException)
            {
            }

            Done.TrySetResult();
        }

        /// <summary>
        /// One output pipe on the stream's connection thread: its lines as events, written and flushed as they are read
        /// (both pipes' calls on that one thread, so the ids stay in order).
        /// </summary>
        private sealed class LoopOutput(OneRun run, bool stderr) : IServerSentEventsDescriptorHandler
        {
            public TaskCompletionSource Ended { get; } = new(TaskCreationOptions.RunContinuationsAsynchronously);

            public void OnData(ServerSentEventsBatch events, ReadOnlySpan<byte> data)
            {
                foreach (var text in run._splitter.Add(data))
                {
                    events.WriteEvent(text, stderr ? "stderr" : "stdout", (run._id++).ToString(CultureInfo.InvariantCulture));
                }
            }

            public void OnEnded(string? error) => Ended.TrySetResult();
        }
    }
}
