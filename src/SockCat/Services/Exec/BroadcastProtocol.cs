using System.Net;
using System.Text;
using SockCat.Server;

namespace SockCat.Services.Exec;

/// <summary>
/// One byte-stream viewer of a broadcast program. Lines reach it as posts to its connection's thread (one post for the
/// lines of one read of the program's output); one that finds
/// more than <see cref="ExecOptions.ViewerQueueBytes"/> still queued for the peer is dropped and counted, and the
/// count is said in one line before the next line that fits, so a stalled viewer costs the others nothing and is never
/// cut as a slow consumer.
/// </summary>
internal sealed class BroadcastProtocol(ExecService service, BroadcastHub hub) : IConnectionProtocol, IExecViewer
{
    private IConnection _connection = null!;
    private string _peer = "";
    private bool _joined;
    private bool _refused;
    private long _missed;

    public void OnConnected(IConnection connection)
    {
        _connection = connection;
        _peer = connection.RemoteEndPoint is IPEndPoint ip ? $"{(ip.Address.IsIPv4MappedToIPv6 ? ip.Address.MapToIPv4() : ip.Address)}:{ip.Port}" : "unix";
        if (!service.RequiresToken)
        {
            Join();
        }
    }

    public int OnReceived(IConnection connection, ReadOnlySpan<byte> data)
    {
        var total = data.Length;
        if (_refused)
        {
            return total;
        }

        if (!_joined)
        {
            switch (TokenLine.Check(service, data, out var consumed, out var message))
            {
                case TokenLine.Result.Incomplete:
                    return 0;
                case TokenLine.Result.Refused:
                    _refused = true;
                    ExecLog.Refused(service.Logger, _peer, "wrong token");
                    connection.Write(Encoding.UTF8.GetBytes(message!));
                    connection.Close();
                    return total;
            }

            Join();
            data = data[consumed..];
        }

        if (service.Options.BroadcastInput && !data.IsEmpty)
        {
            hub.Input(this, data);
            connection.PauseReading();
        }

        return total;
    }

    // A viewer that is done sending still watches.
    public void OnInputEnded(IConnection connection, ReadOnlySpan<byte> unconsumed)
    {
    }

    public void OnClosed(IConnection connection, string? reason) => hub.Leave(this);

    public void Deliver(ExecLine line) => _connection.Post(static (c, s) =>
    {
        var (self, line) = ((BroadcastProtocol, ExecLine))s!;
        self.Send(c, line);
    }, (this, line));

    public void DeliverBatch(IReadOnlyList<ExecLine> lines) => _connection.Post(static (c, s) =>
    {
        var (self, lines) = ((BroadcastProtocol, IReadOnlyList<ExecLine>))s!;
        foreach (var line in lines)
        {
            self.Send(c, line);
        }
    }, (this, lines));

    public void Ended() => _connection.Post(static (c, s) =>
    {
        ((BroadcastProtocol)s!).SayMissed(c);
        c.Close();
    }, this);

    public void InputTaken() => _connection.Post(static (c, _) => c.ResumeReading(), null);

    private void Join()
    {
        _joined = true;
        hub.Join(this);
    }

    private void Send(IConnection connection, ExecLine line)
    {
        if (connection.PendingOutputBytes > service.Options.ViewerQueueBytes)
        {
            _missed++;
            return;
        }

        SayMissed(connection);
        connection.Write(line.Bytes);
    }

    private void SayMissed(IConnection connection)
    {
        if (_missed > 0)
        {
            connection.Write(Encoding.UTF8.GetBytes($"sockcat: missed {_missed} line{(_missed == 1 ? "" : "s")} (this client reads slower than the program writes)\n"));
            _missed = 0;
        }
    }
}
