using SockCat.Server;

namespace SockCat.Services.Chat;

/// <summary>
/// A chat connection before it is known to be the line protocol or IRC: it reads the client's first bytes and hands the
/// connection to the protocol they belong to (IRC clients open with <c>NICK</c>, <c>USER</c>, <c>CAP</c> or <c>PASS</c>;
/// anything else is a person at telnet or nc), passing on those bytes and every later call. It also keeps the clock: a
/// client silent for <see cref="ChatServiceOptions.GreetingDelay"/> is shown the line protocol's welcome (an IRC client
/// would have spoken by then), and one not registered by <see cref="ChatServiceOptions.RegistrationTimeout"/> is cut.
/// </summary>
internal sealed class ChatProtocolSelector : IConnectionProtocol
{
    private static readonly string[] IrcOpenings = ["NICK ", "USER ", "CAP ", "PASS "];

    private static readonly Action<IConnection, object?> TimerFired = static (connection, state) => ((ChatProtocolSelector)state!).OnTimer(connection);

    private readonly ChatService _service;
    private readonly ChatProtocolMode _mode;
    private IConnectionProtocol? _inner;
    private ITimer? _timer;
    private IConnection? _connection;
    private long _connectedAt;
    private bool _greeted;
    private bool _greetingDue;

    public ChatProtocolSelector(ChatService service, ChatProtocolMode mode)
    {
        _service = service;
        _mode = mode;
    }

    /// <summary>The protocol chosen, once chosen.</summary>
    internal IConnectionProtocol? Inner => _inner;

    public void OnConnected(IConnection connection)
    {
        _connection = connection;
        var options = _service.Options;
        _connectedAt = options.TimeProvider.GetTimestamp();
        _greetingDue = _mode == ChatProtocolMode.Auto && options.GreetingDelay < options.RegistrationTimeout;
        var first = _greetingDue ? options.GreetingDelay : options.RegistrationTimeout;
        _timer = options.TimeProvider.CreateTimer(static s => ((ChatProtocolSelector)s!).PostTimer(), this, first, Timeout.InfiniteTimeSpan);
        switch (_mode)
        {
            case ChatProtocolMode.Line:
                Choose(connection, irc: false);
                break;
            case ChatProtocolMode.Irc:
                Choose(connection, irc: true);
                break;
        }
    }

    public int OnReceived(IConnection connection, ReadOnlySpan<byte> data)
    {
        if (_inner is null)
        {
            var irc = Sniff(data);
            if (irc is null)
            {
                // A few bytes that may yet be "NICK ": wait for the rest (at most five bytes are kept).
                return 0;
            }

            Choose(connection, irc.Value);
        }

        return _inner!.OnReceived(connection, data);
    }

    public void OnInputEnded(IConnection connection, ReadOnlySpan<byte> unconsumed)
    {
        if (_inner is null)
        {
            Choose(connection, irc: Sniff(unconsumed) == true);
        }

        _inner!.OnInputEnded(connection, unconsumed);
    }

    public void OnWritable(IConnection connection) => _inner?.OnWritable(connection);

    public void OnSlowConsumer(IConnection connection, int limitBytes) => _inner?.OnSlowConsumer(connection, limitBytes);

    public void OnClosed(IConnection connection, string? reason)
    {
        _timer?.Dispose();
        _inner?.OnClosed(connection, reason);
    }

    /// <summary>True: IRC; false: the line protocol; null: too few bytes to tell.</summary>
    internal static bool? Sniff(ReadOnlySpan<byte> data)
    {
        var maybe = false;
        foreach (var opening in IrcOpenings)
        {
            var n = Math.Min(opening.Length, data.Length);
            var matches = true;
            for (var i = 0; i < n; i++)
            {
                if (data[i] != opening[i])
                {
                    matches = false;
                    break;
                }
            }

            if (!matches)
            {
                continue;
            }

            if (data.Length >= opening.Length)
            {
                return true;
            }

            maybe = true;
        }

        return maybe && data.IndexOf((byte)'\n') < 0 ? null : false;
    }

    private void Choose(IConnection connection, bool irc)
    {
        _inner = irc
            ? _service.CreateIrcProtocol(connection)
            : _service.CreateLineProtocol(connection, _greeted);
        _inner.OnConnected(connection);
    }

    private void PostTimer() => _connection?.Post(TimerFired, this);

    private void OnTimer(IConnection connection)
    {
        var options = _service.Options;
        if (_greetingDue)
        {
            _greetingDue = false;
            // The deadline counts from connecting, however late this post ran.
            var left = options.RegistrationTimeout - options.TimeProvider.GetElapsedTime(_connectedAt);
            _timer?.Change(left > TimeSpan.Zero ? left : TimeSpan.Zero, Timeout.InfiniteTimeSpan);
            if (_inner is null)
            {
                _greeted = true;
                Line.LineChatProtocol.WriteWelcome(connection, _service);
            }

            return;
        }

        if (_inner is IChatSession session)
        {
            if (!session.IsRegistered)
            {
                session.OnRegistrationTimeout(connection);
            }
        }
        else if (_inner is null)
        {
            Line.LineChatProtocol.WriteRegistrationTimeout(connection, _service);
        }
    }
}
