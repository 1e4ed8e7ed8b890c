using SockCat.Framing;
using SockCat.Server;

namespace SockCat.Services.Chat.Irc;

/// <summary>
/// IRC on one connection, sans-IO, over the protocol-agnostic <see cref="ChatHub"/>: enough of RFC 1459/2812 and modern IRC
/// (modern.ircdocs.horse) for irssi, weechat, hexchat and ii to register, join, talk in channels and privately, and see
/// the line protocol's users in the same rooms. Lines are framed by the library's <see cref="LineFramer"/> at IRC's
/// 512 bytes (CRLF included); a longer one is answered with ERR_INPUTTOOLONG (417) and never acted on or relayed.
/// This file holds the connection's life and registration; the commands are in the partial files beside it.
/// </summary>
internal sealed partial class IrcProtocol : IConnectionProtocol, IChatClient, IChatSession
{
    // 512 bytes with the CRLF (RFC 1459 section 2.3); the framer counts a line without its terminator.
    private const int MaxLineLength = IrcLine.MaxBytes - 2;

    private static readonly Action<IConnection, object?> DeadlineCallback =
        static (_, state) => ((IrcProtocol)state!).OnDeadline();

    private readonly IrcServer _server;
    private readonly ChatHub _hub;
    private readonly IrcServerInfo _info;
    private readonly LineFramer _framer = new(MaxLineLength);
    private IConnection _connection = null!;
    private ChatUser? _user;
    private string? _nick;
    private string? _userName;
    private string _realName = "";
    private bool _capNegotiating;
    private bool _closing;

    // Timestamps (TimeProvider ticks) the keep-alive sweep reads from its own thread.
    private long _lastInput;
    private long _pingSentAt;
    private int _deadlinePosted;

    public IrcProtocol(IrcServer server)
    {
        _server = server;
        _hub = server.Hub;
        _info = server.Info;
    }

    /// <summary>The registered user, or null before registration and after quitting.</summary>
    internal ChatUser? User => _user;

    /// <inheritdoc />
    public bool IsRegistered => _user is not null;

    // The first parameter of every numeric: the client's nick, or * until it has one.
    private string Target => _user?.Nick ?? _nick ?? "*";

    public void OnConnected(IConnection connection)
    {
        _connection = connection;
        Volatile.Write(ref _lastInput, _server.KeepAlive.Now);
        _server.KeepAlive.Add(this);
    }

    public int OnReceived(IConnection connection, ReadOnlySpan<byte> data)
    {
        Volatile.Write(ref _lastInput, _server.KeepAlive.Now);
        var lines = _framer.Read(data);
        while (lines.MoveNext())
        {
            Handle(lines);
        }

        return lines.Consumed;
    }

    public void OnInputEnded(IConnection connection, ReadOnlySpan<byte> unconsumed)
    {
        var lines = _framer.ReadFinal(unconsumed);
        while (lines.MoveNext())
        {
            Handle(lines);
        }

        // The client hung up without QUIT: its rooms see it go, then the connection closes once its output is sent.
        Leave("Connection closed");
        connection.ShutdownSend();
    }

    public void OnSlowConsumer(IConnection connection, int limitBytes)
    {
        if (_user is { } user)
        {
            _hub.CutSlowConsumer(user, limitBytes);
            _user = null;
        }
    }

    public void OnClosed(IConnection connection, string? reason)
    {
        _closing = true;
        _server.KeepAlive.Remove(this);
        Leave(reason ?? "Connection closed");
    }

    /// <summary>The service's registration timeout passed before NICK and USER (and CAP END) came.</summary>
    public void OnRegistrationTimeout(IConnection connection) => Disconnect("Registration timeout", abort: false);

    /// <summary>Events from the hub, on this connection's thread: the same rendered bytes every IRC recipient gets.</summary>
    public void OnChatEvent(ChatUser self, ChatEvent e) => _connection.Write(e.Render(IrcRenderer.Instance));

    private void Handle(LineEnumerator lines)
    {
        if (_closing)
        {
            return;
        }

        if (lines.IsTooLong)
        {
            Reply(IrcNumerics.InputTooLong, "Input line was too long");
            return;
        }

        var message = IrcMessage.Parse(lines.Current);
        if (message is null)
        {
            return;
        }

        if (Volatile.Read(ref _pingSentAt) != 0)
        {
            Volatile.Write(ref _pingSentAt, 0);
        }

        if (_user is not null)
        {
            HandleRegistered(message);
        }
        else if (!HandleBeforeRegistration(message))
        {
            Reply(IrcNumerics.NotRegistered, "You have not registered");
        }
    }

    // Registration's commands (and the few that work at any time). False: a command that needs registration.
    private bool HandleBeforeRegistration(IrcMessage message)
    {
        switch (message.Command)
        {
            case "CAP":
                Cap(message);
                return true;
            case "PASS":
                // No server password: accepted and ignored, as servers without one do.
                return true;
            case "NICK":
                NickBeforeRegistration(message);
                return true;
            case "USER":
                UserCommand(message);
                return true;
            case "PING":
                Ping(message);
                return true;
            case "PONG":
                return true;
            case "QUIT":
                Quit(message);
                return true;
            default:
                return false;
        }
    }

    private void HandleRegistered(IrcMessage message)
    {
        switch (message.Command)
        {
            case "PRIVMSG":
                Privmsg(message, ChatMessageKind.Message);
                break;
            case "NOTICE":
                Privmsg(message, ChatMessageKind.Notice);
                break;
            case "JOIN":
                Join(message);
                break;
            case "PART":
                Part(message);
                break;
            case "NAMES":
                Names(message);
                break;
            case "TOPIC":
                Topic(message);
                break;
            case "MODE":
                Mode(message);
                break;
            case "KICK":
                Kick(message);
                break;
            case "INVITE":
                Invite(message);
                break;
            case "WHO":
                Who(message);
                break;
            case "WHOIS":
                Whois(message);
                break;
            case "LIST":
                List(message);
                break;
            case "AWAY":
                Away(message);
                break;
            case "ISON":
                IsOn(message);
                break;
            case "USERHOST":
                UserHost(message);
                break;
            case "MOTD":
                Motd();
                break;
            case "NICK":
                NickChange(message);
                break;
            case "PING":
                Ping(message);
                break;
            case "PONG":
                break;
            case "QUIT":
                Quit(message);
                break;
            case "CAP":
                Cap(message);
                break;
            case "PASS":
            case "USER":
                Reply(IrcNumerics.AlreadyRegistered, "You may not reregister");
                break;
            default:
                Reply(IrcNumerics.UnknownCommand, message.Command, "Unknown command");
                break;
        }
    }

    private void Cap(IrcMessage message)
    {
        var line = new IrcLine(stackalloc byte[IrcLine.MaxBytes]);
        line.Source(_info.ServerName);
        line.Word("CAP");
        line.Word(Target);
        switch (message.Param(0)?.ToUpperInvariant())
        {
            case "LS":
                // No capabilities are offered; registration waits for CAP END, as the spec asks once LS was sent.
                _capNegotiating = _user is null;
                line.Word("LS");
                line.Trailing("");
                break;
            case "LIST":
                line.Word("LIST");
                line.Trailing("");
                break;
            case "REQ":
                _capNegotiating = _user is null;
                line.Word("NAK");
                line.Trailing(message.Param(1) ?? "");
                break;
            case "END":
                _capNegotiating = false;
                TryRegister();
                return;
            default:
                Reply(IrcNumerics.InvalidCapCommand, message.Param(0) ?? "*", "Invalid CAP command");
                return;
        }

        line.WriteTo(_connection);
    }

    private void NickBeforeRegistration(IrcMessage message)
    {
        var nick = message.Param(0);
        if (string.IsNullOrEmpty(nick))
        {
            Reply(IrcNumerics.NoNicknameGiven, "No nickname given");
            return;
        }

        if (!ChatNames.IsValidNick(nick, _info.Chat.MaxNickLength))
        {
            Reply(IrcNumerics.ErroneousNickname, nick, "Erroneous nickname");
            return;
        }

        if (_hub.FindUser(nick) is not null)
        {
            Reply(IrcNumerics.NicknameInUse, nick, "Nickname is already in use");
            return;
        }

        _nick = nick;
        TryRegister();
    }

    private void UserCommand(IrcMessage message)
    {
        if (message.Params.Count < 4)
        {
            Reply(IrcNumerics.NeedMoreParams, "USER", "Not enough parameters");
            return;
        }

        _userName = UserNames.Clean(message.Params[0]);
        _realName = message.Params[3];
        TryRegister();
    }

    private void TryRegister()
    {
        if (_user is not null || _nick is null || _userName is null || _capNegotiating)
        {
            return;
        }

        var result = _hub.Register(_connection, this, _nick, out var user, _userName, _realName);
        switch (result)
        {
            case ChatResult.Ok:
                _user = user;
                Welcome();
                break;
            case ChatResult.NickInUse:
                // Taken since its NICK (by a client that registered in between): the client picks another.
                Reply(IrcNumerics.NicknameInUse, _nick, "Nickname is already in use");
                _nick = null;
                break;
            default:
                Reply(IrcNumerics.ErroneousNickname, _nick, "Erroneous nickname");
                _nick = null;
                break;
        }
    }

    private void Welcome()
    {
        var user = _user!;
        Reply(IrcNumerics.Welcome, $"Welcome to the {_info.Irc.NetworkName} IRC Network {user.Nick}!{user.UserName}@{IrcHost.Visible(user.Host)}");
        Reply(IrcNumerics.YourHost, $"Your host is {_info.ServerName}, running version {_info.Version}");
        Reply(IrcNumerics.Created, $"This server was created {_hub.Created:ddd MMM d yyyy 'at' HH:mm:ss 'UTC'}");
        ReplyWords(IrcNumerics.MyInfo, _info.ServerName, _info.Version, "i", "iknot");
        var tokens = _info.ISupportTokens;
        Span<byte> buffer = stackalloc byte[IrcLine.MaxBytes];
        for (var i = 0; i < tokens.Count; i += 12)
        {
            var line = new IrcLine(buffer);
            line.Source(_info.ServerName);
            line.Word(IrcNumerics.ISupport);
            line.Word(Target);
            for (var j = i; j < Math.Min(tokens.Count, i + 12); j++)
            {
                line.Word(tokens[j]);
            }

            line.Trailing("are supported by this server");
            line.WriteTo(_connection);
        }

        Motd();
    }

    private void Motd()
    {
        var motd = _info.Irc.Motd;
        if (motd.Count == 0)
        {
            Reply(IrcNumerics.NoMotd, "MOTD File is missing");
            return;
        }

        Reply(IrcNumerics.MotdStart, $"- {_info.ServerName} Message of the day - ");
        foreach (var text in motd)
        {
            Reply(IrcNumerics.Motd, "- " + text);
        }

        Reply(IrcNumerics.EndOfMotd, "End of /MOTD command.");
    }

    private void Ping(IrcMessage message)
    {
        var token = message.Param(0);
        if (token is null)
        {
            Reply(IrcNumerics.NoOrigin, "No origin specified");
            return;
        }

        var line = new IrcLine(stackalloc byte[IrcLine.MaxBytes]);
        line.Source(_info.ServerName);
        line.Word("PONG");
        line.Word(_info.ServerName);
        line.Trailing(token);
        line.WriteTo(_connection);
    }

    private void Quit(IrcMessage message)
    {
        var reason = message.Param(0);
        Disconnect(string.IsNullOrEmpty(reason) ? "Client Quit" : "Quit: " + reason, abort: false);
    }

    /// <summary>
    /// Ends the session: the user's rooms see it quit with <paramref name="reason"/>, the client is sent ERROR (as ircds
    /// do before closing) and the connection closes, or is aborted when the peer is gone and would never take the output.
    /// </summary>
    private void Disconnect(string reason, bool abort)
    {
        if (_closing)
        {
            return;
        }

        Leave(reason);
        _closing = true;
        if (abort)
        {
            _connection.Abort(reason);
            return;
        }

        var line = new IrcLine(stackalloc byte[IrcLine.MaxBytes]);
        line.Word("ERROR");
        line.Trailing($"Closing Link: {IrcHost.Visible(HostOf())} ({reason})");
        line.WriteTo(_connection);
        _connection.Close(reason);
    }

    private void Leave(string reason)
    {
        if (_user is { } user)
        {
            _user = null;
            _hub.Quit(user, reason);
        }
    }

    private string HostOf() => _connection.RemoteEndPoint switch
    {
        System.Net.IPEndPoint ip => ip.Address.IsIPv4MappedToIPv6 ? ip.Address.MapToIPv4().ToString() : ip.Address.ToString(),
        _ => "localhost",
    };

    /// <summary>
    /// The keep-alive sweep's check, on its own thread: reads the timestamps, and posts to the connection (once, until that
    /// runs) when the PING or the close is due, so the connection acts on its own thread.
    /// </summary>
    internal void CheckDeadline(long now)
    {
        if (!IsDue(now) || Interlocked.Exchange(ref _deadlinePosted, 1) != 0)
        {
            return;
        }

        if (!_connection.Post(DeadlineCallback, this))
        {
            _server.KeepAlive.Remove(this);
        }
    }

    // Registered, and silent for an interval (PING due), or for an interval since the PING (close due).
    private bool IsDue(long now)
    {
        if (Volatile.Read(ref _user) is null)
        {
            return false;
        }

        var interval = _server.KeepAlive.PingIntervalTicks;
        var pingSentAt = Volatile.Read(ref _pingSentAt);
        return pingSentAt == 0 ? now - Volatile.Read(ref _lastInput) >= interval : now - pingSentAt >= interval;
    }

    private void OnDeadline()
    {
        Volatile.Write(ref _deadlinePosted, 0);
        var keepAlive = _server.KeepAlive;
        var now = keepAlive.Now;
        if (_closing || !IsDue(now))
        {
            return;
        }

        if (Volatile.Read(ref _pingSentAt) == 0)
        {
            Volatile.Write(ref _pingSentAt, now);
            var line = new IrcLine(stackalloc byte[IrcLine.MaxBytes]);
            line.Word("PING");
            line.Trailing(_info.ServerName);
            line.WriteTo(_connection);
        }
        else
        {
            // Silent through a whole interval after the PING: the peer is gone (no FIN came), and would never read more.
            Disconnect($"Ping timeout: {keepAlive.Seconds(now - Volatile.Read(ref _lastInput))} seconds", abort: true);
        }
    }

    /// <summary>A numeric to this client: <c>:server NNN nick params… :last</c>, the last parameter always trailing.</summary>
    private void Reply(string numeric, params ReadOnlySpan<string> parameters)
    {
        var line = new IrcLine(stackalloc byte[IrcLine.MaxBytes]);
        line.Source(_info.ServerName);
        line.Word(numeric);
        line.Word(Target);
        for (var i = 0; i < parameters.Length - 1; i++)
        {
            line.Word(parameters[i]);
        }

        if (parameters.Length > 0)
        {
            line.Trailing(parameters[^1]);
        }

        line.WriteTo(_connection);
    }

    /// <summary>A numeric whose parameters are all single words (RPL_MYINFO): no trailing colon.</summary>
    private void ReplyWords(string numeric, params ReadOnlySpan<string> parameters)
    {
        var line = new IrcLine(stackalloc byte[IrcLine.MaxBytes]);
        line.Source(_info.ServerName);
        line.Word(numeric);
        line.Word(Target);
        foreach (var parameter in parameters)
        {
            line.Word(parameter);
        }

        line.WriteTo(_connection);
    }
}
