using System.Globalization;
using SockCat.Server;

namespace SockCat.Services.Transfer;

/// <summary>
/// One upload on the connection's thread: greets, decodes (<see cref="UploadDecoder"/>), checks the name and the size,
/// and hands the payload to an <see cref="UploadSink"/>, which writes it off the loop. A refusal is sent at once as an
/// <c>error</c> verdict, then the rest of the upload is read and dropped until the sender ends it.
/// </summary>
internal sealed class ReceiveProtocol : IConnectionProtocol
{
    private readonly UploadReceiver _receiver;
    private readonly UploadDecoder _decoder = new();
    private UploadSink? _sink;
    private State _state;
    private bool _paused;

    public ReceiveProtocol(UploadReceiver receiver) => _receiver = receiver;

    // The greeting and the features line in one write, so that a sender reads them together and need not wait for the second.
    internal static ReadOnlySpan<byte> Greeting => "sockcat-recv 1\nfeatures: chunked\n"u8;

    private enum State
    {
        Receiving,
        Refused,
        Finishing,
    }

    public void OnConnected(IConnection connection)
    {
        _sink = new UploadSink(_receiver, this, connection, TransferNames.ForJob(DateTimeOffset.UtcNow, connection.RemoteEndPoint));
        connection.Write(Greeting);
    }

    public int OnReceived(IConnection connection, ReadOnlySpan<byte> data)
    {
        if (_state != State.Receiving)
        {
            return data.Length;
        }

        var sink = _sink!;
        if (_decoder.Feed(data, sink) && _decoder.Header is { } header)
        {
            sink.Describe(header.Name, header.Size);
            if (header.Name is { } name && TransferNames.Problem(name) is { } problem)
            {
                Refuse(connection, TransferError.Name, problem);
                return data.Length;
            }

            if (header.Size > _receiver.Options.MaxSize)
            {
                Refuse(connection, TransferError.TooLarge, $"{header.Size} bytes is over the receiver's limit of {_receiver.Options.MaxSize} bytes");
                return data.Length;
            }
        }

        if (_decoder.Kind == UploadKind.Failed)
        {
            Refuse(connection, _decoder.Error!, _decoder.Problem!);
            return data.Length;
        }

        if (_decoder.PayloadBytes > _receiver.Options.MaxSize)
        {
            Refuse(connection, TransferError.TooLarge, $"the upload passed the receiver's limit of {_receiver.Options.MaxSize?.ToString(CultureInfo.InvariantCulture)} bytes");
            return data.Length;
        }

        if (_decoder.IsComplete)
        {
            // The header's size (or the last chunk) and the trailer are all here: no need to wait for the sender's FIN
            // (which a tls:// connection on Kestrel's sockets, --transport kestrel, reports as a close, before a verdict could be sent).
            Finish();
            return data.Length;
        }

        if (_decoder.Kind != UploadKind.Unknown && sink.SubmitFull() && !_paused)
        {
            _paused = true;
            connection.PauseReading();
            if (sink.RequestResume())
            {
                Resume(connection);
            }
        }

        return data.Length;
    }

    public void OnInputEnded(IConnection connection, ReadOnlySpan<byte> unconsumed)
    {
        switch (_state)
        {
            case State.Refused:
                // The error verdict went out (and our side is shut); the sender has now stopped too.
                connection.Close();
                return;
            case State.Finishing:
                // Complete before its end: the verdict closes the connection once the writer is done.
                return;
        }

        Finish();
    }

    private void Finish()
    {
        _state = State.Finishing;
        Span<byte> sha256 = stackalloc byte[32];
        var problem = _decoder.Finish(_sink!, sha256);
        if (problem is null && _decoder.PayloadBytes > _receiver.Options.MaxSize)
        {
            problem = (TransferError.TooLarge, $"the upload passed the receiver's limit of {_receiver.Options.MaxSize?.ToString(CultureInfo.InvariantCulture)} bytes");
        }

        // Reading is over: a pause for the disk no longer matters, and the end of input is here.
        _sink!.Complete(_decoder.Kind == UploadKind.Headered ? sha256.ToArray() : null, problem);
    }

    public void OnClosed(IConnection connection, string? reason)
    {
        if (_state == State.Receiving)
        {
            _state = State.Refused;
            _sink?.Abort(TransferError.Truncated, Describe(reason));
        }
    }

    /// <summary>On the connection's thread: the sink caught up after a pause.</summary>
    internal void Resume(IConnection connection)
    {
        if (_paused)
        {
            _paused = false;
            connection.ResumeReading();
        }
    }

    /// <summary>On the connection's thread: the sink could not write (a full disk).</summary>
    internal void WriteFailed(IConnection connection, string error, string message)
    {
        if (_state == State.Receiving)
        {
            Refuse(connection, error, message);
        }
    }

    /// <summary>On the connection's thread: the sink is done; send the verdict and close.</summary>
    internal static void SendVerdict(IConnection connection, TransferVerdict verdict)
    {
        TransferWire.WriteVerdict(connection, verdict);
        connection.Close();
    }

    private void Refuse(IConnection connection, string error, string message)
    {
        _state = State.Refused;
        _sink!.Abort(error, message);
        TransferWire.WriteVerdict(connection, TransferVerdict.Refused(error, message));
        connection.ShutdownSend();
        Resume(connection);
    }

    private static string Describe(string? reason) => reason switch
    {
        null => "the connection closed before the upload ended",
        _ => $"the connection broke before the upload ended ({reason})",
    };
}
