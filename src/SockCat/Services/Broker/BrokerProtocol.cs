using System.Collections.Concurrent;
using SockCat.Framing;
using SockCat.Server;

namespace SockCat.Services.Broker;

/// <summary>
/// One member of a <see cref="BrokerHub"/>. Its complete lines, as received (terminators kept, as ncat relays them), are
/// copied once per call into a shared <see cref="BrokerBlock"/> and queued to every other member's outbox. A member's
/// outbox is drained by one posted callback at a time: a sender posts only when the outbox was idle, so a burst of lines
/// from many senders costs the member one post and one send, not one per line.
/// </summary>
internal sealed class BrokerProtocol : IConnectionProtocol
{
    private static readonly Action<IConnection, object?> DrainCallback = static (connection, state) => ((BrokerProtocol)state!).Drain(connection);

    // A drain that cannot run (the member closed first) hands its outbox's blocks back to the pool.
    private static readonly Action<object?> DrainDropped = static state => ((BrokerProtocol)state!).ReleaseOutbox();

    private readonly BrokerHub _hub;
    private readonly LineFramer _framer;
    private readonly byte[] _tooLongMessage;
    private readonly ConcurrentQueue<BrokerBlock> _outbox = new();
    private IConnection? _connection;
    private int _drainPosted;
    private volatile bool _gone;

    public BrokerProtocol(BrokerHub hub, int maxLineLength)
    {
        _hub = hub;
        _framer = new LineFramer(maxLineLength);
        _tooLongMessage = TooLongMessages.For(maxLineLength);
    }

    public void OnConnected(IConnection connection)
    {
        _connection = connection;
        _hub.Join(this);
    }

    public int OnReceived(IConnection connection, ReadOnlySpan<byte> data)
    {
        // Consecutive good lines are one slice of the data: relay them as one block, cut only where a too-long line was dropped.
        int start = 0, end = 0, lines = 0;
        var enumerator = _framer.Read(data);
        while (enumerator.MoveNext())
        {
            if (enumerator.IsTooLong)
            {
                Relay(data[start..end], lines, terminate: false);
                lines = 0;
                start = end = enumerator.Consumed;
                _hub.CountTooLong();
                connection.Write(_tooLongMessage);
                continue;
            }

            var lineStart = enumerator.Consumed - enumerator.CurrentWithTerminator.Length;
            if (lineStart != end)
            {
                // Bytes of a dropped line were skipped before this one.
                Relay(data[start..end], lines, terminate: false);
                lines = 0;
                start = lineStart;
            }

            end = enumerator.Consumed;
            lines++;
        }

        Relay(data[start..end], lines, terminate: false);
        return enumerator.Consumed;
    }

    public void OnInputEnded(IConnection connection, ReadOnlySpan<byte> unconsumed)
    {
        // A last line without its newline still goes out, with one, so it does not run into the next member's line.
        var enumerator = _framer.ReadFinal(unconsumed);
        while (enumerator.MoveNext())
        {
            if (enumerator.IsTooLong)
            {
                _hub.CountTooLong();
                connection.Write(_tooLongMessage);
            }
            else
            {
                var raw = enumerator.CurrentWithTerminator;
                Relay(raw, 1, terminate: raw.IsEmpty || raw[^1] != (byte)'\n');
            }
        }

        // As ncat: a member whose input ended leaves (after what it is owed is sent), so `nc -N` and piped clients finish.
        connection.ShutdownSend();
    }

    public void OnClosed(IConnection connection, string? reason)
    {
        _gone = true;
        _hub.Leave(this);
        ReleaseOutbox();
    }

    private void ReleaseOutbox()
    {
        while (_outbox.TryDequeue(out var block))
        {
            block.Release();
        }
    }

    private void Relay(ReadOnlySpan<byte> lines, int count, bool terminate)
    {
        if (count == 0)
        {
            return;
        }

        _hub.CountRelayed(count);
        var members = _hub.Members;
        if (members.Length <= 1)
        {
            return;
        }

        var block = BrokerBlock.Rent(lines, terminate);
        foreach (var member in members)
        {
            if (!ReferenceEquals(member, this))
            {
                member.Enqueue(block);
            }
        }

        block.Release();
    }

    private void Enqueue(BrokerBlock block)
    {
        if (_gone)
        {
            return;
        }

        block.AddReference();
        _outbox.Enqueue(block);
        if (Interlocked.Exchange(ref _drainPosted, 1) == 0 && !_connection!.Post(DrainCallback, this, DrainDropped))
        {
            // Closed meanwhile: DrainDropped has released the outbox. A block that a sender on another loop queues after
            // that, behind a drain already dropped, is left to the GC (not returned to the pool, never written).
            _gone = true;
        }
    }

    private void Drain(IConnection connection)
    {
        // Cleared before draining: a block queued from here on either is written below or posts a drain of its own.
        Volatile.Write(ref _drainPosted, 0);
        while (_outbox.TryDequeue(out var block))
        {
            connection.Write(block.Bytes);
            block.Release();
        }
    }
}

/// <summary>The one line a sender is told when its line was too long, made once per length.</summary>
internal static class TooLongMessages
{
    private static readonly ConcurrentDictionary<int, byte[]> Messages = new();

    public static byte[] For(int maxLineLength) =>
        Messages.GetOrAdd(maxLineLength, static max => System.Text.Encoding.ASCII.GetBytes($"sockcat: line longer than {max} bytes not relayed; send shorter lines\n"));
}
