using System.Buffers;
using System.IO.Pipes;
using SockCat.Server;

namespace SockCat.Services.Exec;

/// <summary>
/// A byte-stream client's input to its program's stdin, on the client's connection thread: each read written to the
/// pipe in the same callback (<see cref="IConnection.AttachWritableDescriptor"/>), and while the pipe is full the
/// client is not read, so a program that does not read its stdin holds its client back through TCP's window with at
/// most one read's worth kept here. Where the transport cannot, the session's pump writes instead
/// (<see cref="ExecSession.Input"/>, the client not read until each chunk is taken). Until the program is started its
/// client's first bytes are kept and the client not read.
/// </summary>
internal sealed class ExecInputCarrier(ExecSession session)
{
    private readonly TaskCompletionSource<Task> _carried = new(TaskCreationOptions.RunContinuationsAsynchronously);
    private IDescriptorWriter? _writer;
    private bool _pumped;
    private bool _ended;
    private byte[]? _early;
    private int _earlyLength;

    /// <summary>The client's bytes (connection thread).</summary>
    public void Input(IConnection connection, ReadOnlySpan<byte> data)
    {
        if (_writer is not null)
        {
            _writer.Write(data);   // false: the program closed its stdin, and the rest of the input has nowhere to go
            return;
        }

        if (_pumped)
        {
            session.Input(data);
            connection.PauseReading();
            return;
        }

        if (_early is null || _early.Length - _earlyLength < data.Length)
        {
            var grown = ArrayPool<byte>.Shared.Rent(_earlyLength + data.Length);
            _early?.AsSpan(0, _earlyLength).CopyTo(grown);
            ReturnEarly();
            _early = grown;
        }

        data.CopyTo(_early.AsSpan(_earlyLength));
        _earlyLength += data.Length;
        connection.PauseReading();
    }

    /// <summary>The client's input has ended (connection thread): stdin is closed after what is kept.</summary>
    public void End()
    {
        _ended = true;
        if (_writer is not null)
        {
            _writer.Complete();
        }
        else if (_pumped)
        {
            session.EndInput();
        }
    }

    /// <summary>
    /// Takes over the program's stdin (from the session's thread): on the connection's thread where its transport can
    /// write a pipe there, else through <paramref name="pump"/>. Completes when the one has taken over or the other ends.
    /// </summary>
    public Task Carry(IConnection connection, Stream stdin, Func<Task> pump)
    {
        connection.Post(
            static (c, s) =>
            {
                var (carrier, stdin, pump) = ((ExecInputCarrier, Stream, Func<Task>))s!;
                carrier.Attach(c, stdin, pump);
            },
            (this, stdin, pump),
            static s => (((ExecInputCarrier, Stream, Func<Task>))s!).Item1.Dropped());
        return _carried.Task.Unwrap();
    }

    private void Attach(IConnection connection, Stream stdin, Func<Task> pump)
    {
        if (stdin is PipeStream pipe)
        {
            try
            {
                _writer = connection.AttachWritableDescriptor(pipe.SafePipeHandle);
            }
            catch (NotSupportedException)
            {
            }
        }

        if (_writer is null)
        {
            _pumped = true;
            _carried.TrySetResult(pump());
            if (_earlyLength > 0)
            {
                session.Input(_early.AsSpan(0, _earlyLength));   // the client is read again once it is taken
            }

            if (_ended)
            {
                session.EndInput();
            }
        }
        else
        {
            _carried.TrySetResult(Task.CompletedTask);
            if (_earlyLength > 0)
            {
                _writer.Write(_early.AsSpan(0, _earlyLength));
                connection.ResumeReading();   // held back now, if at all, by the pipe's room
            }

            if (_ended)
            {
                _writer.Complete();
            }
        }

        ReturnEarly();
    }

    private void Dropped()
    {
        ReturnEarly();
        _carried.TrySetResult(Task.CompletedTask);
    }

    private void ReturnEarly()
    {
        if (_early is not null)
        {
            ArrayPool<byte>.Shared.Return(_early);
            _early = null;
        }

        _earlyLength = 0;
    }
}
