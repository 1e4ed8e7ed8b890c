using SockCat.Server;

namespace SockCat.Services.Broker;

/// <summary>
/// <c>ncat --broker</c>: every line a member sends goes to every other member, not back to the sender. Members are the
/// connections of one server, on any of its loop threads; a line reaches them through <see cref="IConnection.Post(Action{IConnection, object}, object, Action{object})"/>, so
/// each member's output is written on its own thread and no lock is held while sending. Use one hub per server:
/// <code>
/// var hub = new BrokerHub();
/// await using var server = new SockCatServer(hub.CreateProtocol);
/// </code>
/// A member that stops reading is cut by the server's slow-consumer rule (<see cref="ServerOptions.SlowConsumerLimitBytes"/>)
/// with a reason in the log; the others do not wait for it.
/// </summary>
public sealed class BrokerHub
{
    private readonly Lock _membersLock = new();
    private BrokerProtocol[] _members = [];
    private long _linesRelayed;
    private long _linesTooLong;

    /// <summary>Creates an empty hub.</summary>
    public BrokerHub(BrokerOptions? options = null)
    {
        Options = options ?? new BrokerOptions();
        ArgumentOutOfRangeException.ThrowIfLessThan(Options.MaxLineLength, 1, nameof(BrokerOptions.MaxLineLength));
    }

    /// <summary>The options the hub was created with.</summary>
    public BrokerOptions Options { get; }

    /// <summary>Members connected now.</summary>
    public int MemberCount => Volatile.Read(ref _members).Length;

    /// <summary>Lines received and passed on to the other members (counted once per line, not per member).</summary>
    public long LinesRelayed => Interlocked.Read(ref _linesRelayed);

    /// <summary>Lines over <see cref="BrokerOptions.MaxLineLength"/>, dropped and reported to their senders.</summary>
    public long LinesTooLong => Interlocked.Read(ref _linesTooLong);

    /// <summary>The protocol for a new member: pass this method as a <see cref="SockCatServer"/>'s protocol factory.</summary>
    public IConnectionProtocol CreateProtocol(IConnection connection) => new BrokerProtocol(this, Options.MaxLineLength);

    /// <summary>The members now; a copy replaced on every join and leave, so a sender reads it without a lock.</summary>
    internal BrokerProtocol[] Members => Volatile.Read(ref _members);

    internal void Join(BrokerProtocol member)
    {
        lock (_membersLock)
        {
            _members = [.. _members, member];
        }
    }

    internal void Leave(BrokerProtocol member)
    {
        lock (_membersLock)
        {
            var at = Array.IndexOf(_members, member);
            if (at >= 0)
            {
                _members = [.. _members.AsSpan(0, at), .. _members.AsSpan(at + 1)];
            }
        }
    }

    internal void CountRelayed(int lines) => Interlocked.Add(ref _linesRelayed, lines);

    internal void CountTooLong() => Interlocked.Increment(ref _linesTooLong);
}
