using System.IO.Pipes;
using Microsoft.Win32.SafeHandles;
using SockCat.Server;

namespace SockCat.Services.Exec;

/// <summary>
/// One of a program's output pipes read on its client's connection thread (<see cref="IConnection.AttachDescriptor"/>):
/// each read written to the connection in the same callback, so a line crosses no thread between the pipe and the
/// client, and the pipe is not read while the client's queue is over its bound (the program is held back through it).
/// Where the transport cannot (Kestrel's), the session's own pump reads it instead. <see cref="Completion"/> ends with
/// the output: at end of file, or when the connection closes.
/// </summary>
internal sealed class ExecOutputCarrier : IDescriptorHandler
{
    private readonly TaskCompletionSource _ended = new(TaskCreationOptions.RunContinuationsAsynchronously);
    private readonly SafePipeHandle _pipe;
    private readonly Func<Task> _pump;

    private ExecOutputCarrier(SafePipeHandle pipe, Func<Task> pump)
    {
        _pipe = pipe;
        _pump = pump;
    }

    public Task Completion => _ended.Task;

    /// <summary>Carries <paramref name="source"/> to <paramref name="connection"/>'s peer on its thread, or runs <paramref name="pump"/>.</summary>
    public static Task Carry(IConnection connection, Stream source, Func<Task> pump)
    {
        if (source is not PipeStream pipe)
        {
            return pump();
        }

        var carrier = new ExecOutputCarrier(pipe.SafePipeHandle, pump);
        connection.Post(static (c, s) => ((ExecOutputCarrier)s!).Attach(c), carrier, static s => ((ExecOutputCarrier)s!)._ended.TrySetResult());
        return carrier.Completion;
    }

    private void Attach(IConnection connection)
    {
        try
        {
            connection.AttachDescriptor(_pipe, this);
        }
        catch (NotSupportedException)
        {
            _ = RunPumpAsync();
        }
    }

    private async Task RunPumpAsync()
    {
        await _pump().ConfigureAwait(false);
        _ended.TrySetResult();
    }

    public void OnData(IConnection connection, ReadOnlySpan<byte> data) => connection.Write(data);

    public void OnEnded(IConnection connection, string? error) => _ended.TrySetResult();
}
