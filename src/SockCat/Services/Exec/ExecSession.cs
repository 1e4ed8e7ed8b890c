using System.Buffers;
using System.ComponentModel;
using System.Text;
using System.Threading.Channels;

namespace SockCat.Services.Exec;

/// <summary>
/// One program for one client, off the loop: its stdout (and with <see cref="ExecStderr.Merge"/> its stderr) carried to
/// the client as it comes (<see cref="IExecClient.CarryOutputAsync"/>: read on the client's own loop thread where the
/// transport can, else one read at a time here, each waiting for room at the client before the next), a program that
/// writes faster than its client reads held back through its pipe either way; the client's bytes to its stdin
/// (<see cref="IExecClient.CarryInputAsync"/>: written on the client's loop thread where the transport can, else one
/// chunk at a time here), the client not read while the program has not taken them; the client's end of input closes
/// the program's stdin. When the client goes,
/// or the program exits, the program's whole session is ended (<see cref="ChildProcess.TerminateAsync"/>) before its
/// place is given back.
/// </summary>
internal sealed class ExecSession
{
    private readonly ExecService _service;
    private readonly IExecClient _client;
    private readonly Channel<(byte[] Array, int Length)> _stdin = Channel.CreateUnbounded<(byte[], int)>(new UnboundedChannelOptions { SingleReader = true });
    private readonly CancellationTokenSource _gone = new();
    private readonly TaskCompletionSource _goneSignal = new(TaskCreationOptions.RunContinuationsAsynchronously);
    private Task _run = Task.CompletedTask;

    public ExecSession(ExecService service, IExecClient client)
    {
        _service = service;
        _client = client;
    }

    /// <summary>Starts the program (the caller has reserved its place with <see cref="ExecService.TryReserve"/>).</summary>
    /// <remarks>
    /// With <paramref name="directStdout"/> (the client's socket, lent: <see cref="ExecOptions.Direct"/>) that socket is
    /// the program's stdout, and the session disposes it once the program has it; the client's output ends when the
    /// program exits.
    /// </remarks>
    public void Start(IReadOnlyDictionary<string, string> environment, int rows = 0, int columns = 0, System.Runtime.InteropServices.SafeHandle? directStdout = null)
    {
        _service.Add(this);
        _run = Task.Run(() => RunAsync(environment, rows, columns, directStdout));
    }

    /// <summary>Queues client bytes for the program's stdin; <see cref="IExecClient.InputTaken"/> follows once written.</summary>
    public void Input(ReadOnlySpan<byte> data)
    {
        var array = ArrayPool<byte>.Shared.Rent(data.Length);
        data.CopyTo(array);
        if (!_stdin.Writer.TryWrite((array, data.Length)))
        {
            ArrayPool<byte>.Shared.Return(array);
        }
    }

    /// <summary>The client's input has ended: the program's stdin is closed after what is queued.</summary>
    public void EndInput() => _stdin.Writer.TryComplete();

    /// <summary>The client is gone: the program's session is ended.</summary>
    public void ClientGone()
    {
        _stdin.Writer.TryComplete();
        _goneSignal.TrySetResult();
        try
        {
            _gone.Cancel();
        }
        catch (ObjectDisposedException)
        {
        }
    }

    /// <summary>Ends the program as if its client had gone, and completes once everything it started is gone.</summary>
    public Task TerminateAsync()
    {
        ClientGone();
        return _run;
    }

    private async Task RunAsync(IReadOnlyDictionary<string, string> environment, int rows, int columns, System.Runtime.InteropServices.SafeHandle? directStdout)
    {
        ChildProcess? child = null;
        try
        {
            try
            {
                child = ChildProcess.Start(_service.Options, environment, rows, columns, directStdout);
            }
            catch (Exception e) when (e is Win32Exception or IOException or InvalidOperationException)
            {
                ExecLog.StartFailed(_service.Logger, _service.ProgramName, _client.Peer, e.Message);
                _client.Fail("sockcat: the program could not be started; the server's log says why\n");
                return;
            }
            finally
            {
                directStdout?.Dispose();   // the program has its copy, or none was made
            }

            ExecLog.Started(_service.Logger, _service.ProgramName, child.Pid, _client.Peer);
            var stdin = _client.CarryInputAsync(child.Stdin, () => PumpStdinAsync(child.Stdin));
            var merge = _service.Options.Stderr == ExecStderr.Merge;
            // A lent socket carries stdout by itself: the output ends when the program does.
            var stdout = directStdout is not null ? child.Exited : _client.CarryOutputAsync(child.Stdout, stderr: false, () => PumpAsync(child.Stdout, stderr: false));
            var stderr = merge ? _client.CarryOutputAsync(child.Stderr, stderr: true, () => PumpAsync(child.Stderr, stderr: true)) : LogStderrAsync(child.Stderr);
            var output = merge ? Task.WhenAll(stdout, stderr) : stdout;
            _ = output.ContinueWith(_ => { if (!_gone.IsCancellationRequested) _client.OutputEnded(); }, TaskScheduler.Default);

            var first = await Task.WhenAny(child.Exited, _goneSignal.Task).ConfigureAwait(false);
            // Either way nothing of the program outlives this: what it left running (a background job holding its
            // stdout open, say) goes too, so that its output ends and its place is free. A program whose client has
            // gone first has the grace to end by itself, its stdin closed.
            await child.TerminateAsync(first == child.Exited ? TimeSpan.Zero : _service.Options.KillAfter).ConfigureAwait(false);
            var code = await child.Exited.ConfigureAwait(false);
            ExecLog.Exited(_service.Logger, child.Pid, _client.Peer, ChildProcess.DescribeExit(code));
            await Task.WhenAll(output, stderr).ConfigureAwait(false);
            _stdin.Writer.TryComplete();
            await stdin.ConfigureAwait(false);
            if (!_gone.IsCancellationRequested)
            {
                _client.Exited(code);
            }
        }
        finally
        {
            child?.Dispose();
            _service.Release();
            _service.Remove(this);
        }
    }

    private async Task PumpAsync(Stream source, bool stderr)
    {
        var buffer = ArrayPool<byte>.Shared.Rent(32 * 1024);
        try
        {
            int n;
            while ((n = await source.ReadAsync(buffer, _gone.Token).ConfigureAwait(false)) > 0)
            {
                if (!await _client.WriteOutputAsync(buffer.AsMemory(0, n), stderr, _gone.Token).ConfigureAwait(false))
                {
                    break;
                }
            }
        }
        catch (Exception e) when (e is OperationCanceledException or IOException or ObjectDisposedException)
        {
        }
        finally
        {
            ArrayPool<byte>.Shared.Return(buffer);
        }
    }

    /// <summary>Logs stderr one line per line (a line over the limit in pieces), until the program closes it.</summary>
    private async Task LogStderrAsync(Stream source)
    {
        var max = _service.Options.MaxLogLineLength;
        var buffer = new byte[Math.Max(max, 1024)];
        var held = 0;
        try
        {
            int n;
            while ((n = await source.ReadAsync(buffer.AsMemory(held), CancellationToken.None).ConfigureAwait(false)) > 0)
            {
                held += n;
                var start = 0;
                int newline;
                while ((newline = buffer.AsSpan(start, held - start).IndexOf((byte)'\n')) >= 0)
                {
                    LogLine(buffer.AsSpan(start, newline));
                    start += newline + 1;
                }

                if (start == 0 && held == buffer.Length)
                {
                    LogLine(buffer);
                    start = held;
                }

                buffer.AsSpan(start, held - start).CopyTo(buffer);
                held -= start;
            }
        }
        catch (Exception e) when (e is IOException or ObjectDisposedException)
        {
        }

        if (held > 0)
        {
            LogLine(buffer.AsSpan(0, held));
        }
    }

    private void LogLine(ReadOnlySpan<byte> line) =>
        ExecLog.Stderr(_service.Logger, _client.Peer, Encoding.UTF8.GetString(line.TrimEnd((byte)'\r')));

    private async Task PumpStdinAsync(Stream stdin)
    {
        var broken = false;
        await foreach (var (array, length) in _stdin.Reader.ReadAllAsync().ConfigureAwait(false))
        {
            try
            {
                if (!broken)
                {
                    await stdin.WriteAsync(array.AsMemory(0, length)).ConfigureAwait(false);
                    await stdin.FlushAsync().ConfigureAwait(false);
                }
            }
            catch (Exception e) when (e is IOException or ObjectDisposedException)
            {
                broken = true;   // the program closed its stdin or exited: the rest of the input has nowhere to go
            }
            finally
            {
                ArrayPool<byte>.Shared.Return(array);
                _client.InputTaken();
            }
        }

        try
        {
            stdin.Dispose();
        }
        catch (IOException)
        {
        }
    }
}
