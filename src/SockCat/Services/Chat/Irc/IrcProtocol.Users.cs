namespace SockCat.Services.Chat.Irc;

/// <summary>Messages and user commands: PRIVMSG, NOTICE, NICK, WHO, WHOIS, AWAY, ISON, USERHOST.</summary>
internal sealed partial class IrcProtocol
{
    private const string ActionPrefix = "\u0001ACTION ";

    private void Privmsg(IrcMessage message, ChatMessageKind kind)
    {
        // A NOTICE is never answered with an error (RFC 2812 section 3.3.2): no loops between automatic replies.
        var errors = kind != ChatMessageKind.Notice;
        var targets = message.Param(0);
        if (string.IsNullOrEmpty(targets))
        {
            if (errors)
            {
                Reply(IrcNumerics.NoRecipient, $"No recipient given ({message.Command})");
            }

            return;
        }

        var text = message.Param(1);
        if (string.IsNullOrEmpty(text))
        {
            if (errors)
            {
                Reply(IrcNumerics.NoTextToSend, "No text to send");
            }

            return;
        }

        if (text[0] == '\u0001')
        {
            // CTCP: ACTION (/me) is the hub's action; the rest (VERSION, DCC...) ask things of a client a line user has not.
            if (!text.StartsWith(ActionPrefix, StringComparison.Ordinal))
            {
                return;
            }

            kind = ChatMessageKind.Action;
            text = text[ActionPrefix.Length..].TrimEnd('\u0001');
        }

        foreach (var target in targets.Split(','))
        {
            if (_user is null)
            {
                return;
            }

            ChatResult result;
            ChatUser? recipient = null;
            result = target.Length > 0 && target[0] == ChatNames.RoomPrefix
                ? _hub.SendToRoom(_user, target, kind, text)
                : _hub.SendToUser(_user, target, kind, text, out recipient);
            switch (result)
            {
                case ChatResult.Ok:
                    if (errors && recipient?.Away is { } away)
                    {
                        Reply(IrcNumerics.Away, recipient.Nick, away);
                    }

                    break;
                case ChatResult.Flooding:
                    Notice($"Flooding: message to {target} dropped (over {_info.Chat.FloodMessagesPerSecond:0.#} per second); slow down or be disconnected");
                    return;
                case ChatResult.FloodDisconnect:
                    var user = _user;
                    _user = null;
                    _hub.QuitFlooding(user);
                    Disconnect("Excess Flood", abort: false);
                    return;
                case ChatResult.NoText when errors:
                    Reply(IrcNumerics.NoTextToSend, "No text to send");
                    break;
                case ChatResult.CannotSendToRoom when errors:
                    Reply(IrcNumerics.CannotSendToChan, target, "Cannot send to channel");
                    break;
                case ChatResult.NoSuchRoom when errors:
                    Reply(IrcNumerics.NoSuchChannel, target, "No such channel");
                    break;
                case ChatResult.NoSuchNick when errors:
                    Reply(IrcNumerics.NoSuchNick, target, "No such nick/channel");
                    break;
            }
        }
    }

    private void NickChange(IrcMessage message)
    {
        var nick = message.Param(0);
        if (string.IsNullOrEmpty(nick))
        {
            Reply(IrcNumerics.NoNicknameGiven, "No nickname given");
            return;
        }

        switch (_hub.ChangeNick(_user!, nick))
        {
            case ChatResult.Ok:
                // The NICK line came inline from the hub, as everyone who shares a room sees it.
                break;
            case ChatResult.NickInUse:
                Reply(IrcNumerics.NicknameInUse, nick, "Nickname is already in use");
                break;
            default:
                Reply(IrcNumerics.ErroneousNickname, nick, "Erroneous nickname");
                break;
        }
    }

    private void Who(IrcMessage message)
    {
        var mask = message.Param(0) ?? "*";
        if (mask.Length > 0 && mask[0] == ChatNames.RoomPrefix)
        {
            if (_hub.FindRoom(mask) is { } room && CanSee(room))
            {
                foreach (var member in room.Members)
                {
                    WhoReply(room.Name, member.User, member.IsOperator);
                }
            }
        }
        else if (_hub.FindUser(mask) is { } user)
        {
            WhoReply("*", user, isOperator: false);
        }

        Reply(IrcNumerics.EndOfWho, mask, "End of /WHO list");
    }

    // RPL_WHOREPLY: <channel> <user> <host> <server> <nick> <H|G>[@] :<hopcount> <real name>
    private void WhoReply(string channel, ChatUser user, bool isOperator)
    {
        var flags = (user.Away is null ? "H" : "G") + (isOperator ? "@" : "");
        Reply(IrcNumerics.WhoReply, channel, user.UserName, IrcHost.Visible(user.Host), _info.ServerName, user.Nick, flags, "0 " + user.RealName);
    }

    private void Whois(IrcMessage message)
    {
        // WHOIS [server] nick[,nick]: the nicks are the last parameter.
        if (message.Params.Count == 0)
        {
            Reply(IrcNumerics.NoNicknameGiven, "No nickname given");
            return;
        }

        foreach (var nick in message.Params[^1].Split(','))
        {
            if (_hub.FindUser(nick) is not { } user)
            {
                Reply(IrcNumerics.NoSuchNick, nick, "No such nick/channel");
                Reply(IrcNumerics.EndOfWhois, nick, "End of /WHOIS list");
                continue;
            }

            Reply(IrcNumerics.WhoisUser, user.Nick, user.UserName, IrcHost.Visible(user.Host), "*", user.RealName);
            var channels = string.Join(' ', user.Rooms.Where(CanSee).Select(r => (r.IsOperator(user) ? "@" : "") + r.Name));
            if (channels.Length > 0)
            {
                Reply(IrcNumerics.WhoisChannels, user.Nick, channels);
            }

            Reply(IrcNumerics.WhoisServer, user.Nick, _info.ServerName, _info.Irc.NetworkName);
            if (user.Away is { } away)
            {
                Reply(IrcNumerics.Away, user.Nick, away);
            }

            Reply(IrcNumerics.EndOfWhois, user.Nick, "End of /WHOIS list");
        }
    }

    private void Away(IrcMessage message)
    {
        var text = message.Param(0);
        _hub.SetAway(_user!, text);
        if (string.IsNullOrEmpty(text))
        {
            Reply(IrcNumerics.UnAway, "You are no longer marked as being away");
        }
        else
        {
            Reply(IrcNumerics.NowAway, "You have been marked as being away");
        }
    }

    private void IsOn(IrcMessage message)
    {
        var online = message.Params.SelectMany(p => p.Split(' ', StringSplitOptions.RemoveEmptyEntries))
            .Select(_hub.FindUser).OfType<ChatUser>().Select(u => u.Nick);
        Reply(IrcNumerics.IsOn, string.Join(' ', online));
    }

    private void UserHost(IrcMessage message)
    {
        var found = message.Params.Take(5).Select(_hub.FindUser).OfType<ChatUser>()
            .Select(u => $"{u.Nick}={(u.Away is null ? '+' : '-')}{u.UserName}@{IrcHost.Visible(u.Host)}");
        Reply(IrcNumerics.UserHost, string.Join(' ', found));
    }

    private void Notice(string text)
    {
        var line = new IrcLine(stackalloc byte[IrcLine.MaxBytes]);
        line.Source(_info.ServerName);
        line.Word("NOTICE");
        line.Word(Target);
        line.Trailing(text);
        line.WriteTo(_connection);
    }
}
