namespace SockCat.Services.Chat.Irc;

/// <summary>Channel commands: JOIN, PART, NAMES, TOPIC, KICK, INVITE, MODE, LIST.</summary>
internal sealed partial class IrcProtocol
{
    // Nicks per RPL_NAMREPLY line: well within 512 bytes at NICKLEN 30 with the prefix and channel.
    private const int NamesPerLine = 12;

    private void Join(IrcMessage message)
    {
        var channels = message.Param(0);
        if (string.IsNullOrEmpty(channels))
        {
            Reply(IrcNumerics.NeedMoreParams, "JOIN", "Not enough parameters");
            return;
        }

        if (channels == "0")
        {
            // JOIN 0: leave every channel (RFC 2812 section 3.2.1).
            foreach (var room in _user!.Rooms)
            {
                _hub.Part(_user, room.Name, "Left all channels");
            }

            return;
        }

        var keys = message.Param(1)?.Split(',') ?? [];
        var names = channels.Split(',');
        for (var i = 0; i < names.Length && _user is not null; i++)
        {
            var name = names[i];
            var result = _hub.Join(_user, name, i < keys.Length && keys[i].Length > 0 ? keys[i] : null, out var room);
            switch (result)
            {
                case ChatResult.Ok:
                    // The JOIN line came first (delivered inline); then what a client shows on joining.
                    if (room!.Topic.Length > 0)
                    {
                        TopicReplies(room);
                    }

                    NamesReplies(room);
                    break;
                case ChatResult.AlreadyInRoom:
                    break;
                case ChatResult.TooManyRooms:
                    Reply(IrcNumerics.TooManyChannels, name, "You have joined too many channels");
                    break;
                case ChatResult.InviteOnly:
                    Reply(IrcNumerics.InviteOnlyChan, name, "Cannot join channel (+i)");
                    break;
                case ChatResult.BadKey:
                    Reply(IrcNumerics.BadChannelKey, name, "Cannot join channel (+k)");
                    break;
                case ChatResult.RoomFull:
                    Reply(IrcNumerics.ChannelIsFull, name, "Cannot join channel (+l)");
                    break;
                default:
                    Reply(IrcNumerics.NoSuchChannel, name, "No such channel");
                    break;
            }
        }
    }

    private void Part(IrcMessage message)
    {
        var channels = message.Param(0);
        if (string.IsNullOrEmpty(channels))
        {
            Reply(IrcNumerics.NeedMoreParams, "PART", "Not enough parameters");
            return;
        }

        var reason = message.Param(1) ?? "";
        foreach (var name in channels.Split(','))
        {
            switch (_hub.Part(_user!, name, reason))
            {
                case ChatResult.Ok:
                    break;
                case ChatResult.NotInRoom:
                    Reply(IrcNumerics.NotOnChannel, name, "You're not on that channel");
                    break;
                default:
                    Reply(IrcNumerics.NoSuchChannel, name, "No such channel");
                    break;
            }
        }
    }

    private void Names(IrcMessage message)
    {
        var channels = message.Param(0);
        if (string.IsNullOrEmpty(channels))
        {
            Reply(IrcNumerics.EndOfNames, "*", "End of /NAMES list");
            return;
        }

        foreach (var name in channels.Split(','))
        {
            if (_hub.FindRoom(name) is { } room && CanSee(room))
            {
                NamesReplies(room);
            }
            else
            {
                Reply(IrcNumerics.EndOfNames, name, "End of /NAMES list");
            }
        }
    }

    // RPL_NAMREPLY lines, operators marked @, then RPL_ENDOFNAMES. '=' public, '*' private (keyed or invite-only).
    private void NamesReplies(ChatRoom room)
    {
        var members = room.Members;
        var symbol = room.IsPrivate ? "*" : "=";
        Span<byte> buffer = stackalloc byte[IrcLine.MaxBytes];
        for (var start = 0; start < members.Count; start += NamesPerLine)
        {
            var line = new IrcLine(buffer);
            line.Source(_info.ServerName);
            line.Word(IrcNumerics.NamReply);
            line.Word(Target);
            line.Word(symbol);
            line.Word(room.Name);
            line.Trailing("");
            for (var i = start; i < Math.Min(members.Count, start + NamesPerLine); i++)
            {
                if (i > start)
                {
                    line.Append(" ");
                }

                if (members[i].IsOperator)
                {
                    line.Append("@");
                }

                line.Append(members[i].User.Nick);
            }

            line.WriteTo(_connection);
        }

        Reply(IrcNumerics.EndOfNames, room.Name, "End of /NAMES list");
    }

    private void Topic(IrcMessage message)
    {
        var name = message.Param(0);
        if (string.IsNullOrEmpty(name))
        {
            Reply(IrcNumerics.NeedMoreParams, "TOPIC", "Not enough parameters");
            return;
        }

        if (message.Params.Count == 1)
        {
            var room = _hub.FindRoom(name);
            if (room is null)
            {
                Reply(IrcNumerics.NoSuchChannel, name, "No such channel");
            }
            else if (!CanSee(room))
            {
                Reply(IrcNumerics.NotOnChannel, name, "You're not on that channel");
            }
            else if (room.Topic.Length == 0)
            {
                Reply(IrcNumerics.NoTopic, room.Name, "No topic is set");
            }
            else
            {
                TopicReplies(room);
            }

            return;
        }

        RoomResult(_hub.SetTopic(_user!, name, message.Params[1]), name, "TOPIC");
    }

    private void TopicReplies(ChatRoom room)
    {
        Reply(IrcNumerics.Topic, room.Name, room.Topic);
        ReplyWords(IrcNumerics.TopicWhoTime, room.Name, room.TopicSetBy, room.TopicSetAt.ToUnixTimeSeconds().ToString());
    }

    private void Kick(IrcMessage message)
    {
        if (message.Params.Count < 2)
        {
            Reply(IrcNumerics.NeedMoreParams, "KICK", "Not enough parameters");
            return;
        }

        var name = message.Params[0];
        var reason = message.Param(2) ?? "";
        foreach (var nick in message.Params[1].Split(','))
        {
            if (!RoomResult(_hub.Kick(_user!, name, nick, reason), name, "KICK", nick))
            {
                break;
            }
        }
    }

    private void Invite(IrcMessage message)
    {
        if (message.Params.Count < 2)
        {
            Reply(IrcNumerics.NeedMoreParams, "INVITE", "Not enough parameters");
            return;
        }

        var (nick, name) = (message.Params[0], message.Params[1]);
        var result = _hub.Invite(_user!, nick, name);
        if (result == ChatResult.Ok)
        {
            ReplyWords(IrcNumerics.Inviting, _hub.FindUser(nick)?.Nick ?? nick, _hub.FindRoom(name)?.Name ?? name);
        }
        else if (result == ChatResult.TargetInRoom)
        {
            Reply(IrcNumerics.UserOnChannel, nick, name, "is already on channel");
        }
        else
        {
            RoomResult(result, name, "INVITE", nick);
        }
    }

    private void Mode(IrcMessage message)
    {
        var target = message.Param(0);
        if (string.IsNullOrEmpty(target))
        {
            Reply(IrcNumerics.NeedMoreParams, "MODE", "Not enough parameters");
            return;
        }

        if (target[0] != ChatNames.RoomPrefix)
        {
            UserMode(target, message.Param(1));
            return;
        }

        var room = _hub.FindRoom(target);
        if (room is null)
        {
            Reply(IrcNumerics.NoSuchChannel, target, "No such channel");
            return;
        }

        var modes = message.Param(1);
        if (modes is null)
        {
            // The key is shown to members only, as ircds do.
            var shown = room.Key is { } key && room.HasMember(_user!) ? room.ModeString + " " + key : room.ModeString;
            ReplyWords(IrcNumerics.ChannelModeIs, [room.Name, .. shown.Split(' ')]);
            ReplyWords(IrcNumerics.CreationTime, room.Name, room.CreatedAt.ToUnixTimeSeconds().ToString());
            return;
        }

        var on = true;
        var next = 2;
        foreach (var mode in modes)
        {
            switch (mode)
            {
                case '+' or '-':
                    on = mode == '+';
                    continue;
                case 'b' when next >= message.Params.Count:
                    // A ban-list query (clients send one on joining): there are no bans.
                    Reply(IrcNumerics.EndOfBanList, room.Name, "End of channel ban list");
                    continue;
                case 'k' or 'o':
                    var argument = message.Param(next++);
                    if (!RoomResult(_hub.SetMode(_user!, room.Name, mode, on, argument), room.Name, "MODE", argument))
                    {
                        return;
                    }

                    continue;
                case 'i' or 't' or 'n':
                    if (!RoomResult(_hub.SetMode(_user!, room.Name, mode, on, null), room.Name, "MODE"))
                    {
                        return;
                    }

                    continue;
                default:
                    Reply(IrcNumerics.UnknownMode, mode.ToString(), "is unknown mode char to me");
                    continue;
            }
        }
    }

    // User modes: none are kept; +i and +w (what clients set on connecting) are accepted without effect.
    private void UserMode(string nick, string? modes)
    {
        if (!ChatNames.Comparer.Equals(nick, _user!.Nick))
        {
            Reply(_hub.FindUser(nick) is null ? IrcNumerics.NoSuchNick : IrcNumerics.UsersDontMatch, nick,
                _hub.FindUser(nick) is null ? "No such nick/channel" : "Can't change mode for other users");
            return;
        }

        if (modes is null)
        {
            ReplyWords(IrcNumerics.UModeIs, "+");
            return;
        }

        if (modes.Any(c => c is not ('+' or '-' or 'i' or 'w')))
        {
            Reply(IrcNumerics.UModeUnknownFlag, "Unknown MODE flag");
        }
    }

    private void List(IrcMessage message)
    {
        var wanted = message.Param(0)?.Split(',');
        Reply(IrcNumerics.ListStart, "Channel", "Users  Name");
        foreach (var room in _hub.ListRooms(_user))
        {
            if (wanted is null || wanted.Contains(room.Name, ChatNames.Comparer))
            {
                Reply(IrcNumerics.List, room.Name, room.MemberCount.ToString(), room.Topic);
            }
        }

        Reply(IrcNumerics.ListEnd, "End of /LIST");
    }

    // Whether this user may see who is in a room and its topic: a public room, or one it is in.
    private bool CanSee(ChatRoom room) => !room.IsPrivate || room.HasMember(_user!);

    /// <summary>
    /// Words a room operation's refusal as its numeric. True for Ok (and nothing written); false after an error, so a
    /// multi-target command stops at a refusal that applies to all its targets.
    /// </summary>
    private bool RoomResult(ChatResult result, string room, string command, string? nick = null)
    {
        switch (result)
        {
            case ChatResult.Ok:
                return true;
            case ChatResult.NoSuchRoom:
            case ChatResult.RoomInvalid:
                Reply(IrcNumerics.NoSuchChannel, room, "No such channel");
                return false;
            case ChatResult.NotInRoom:
                Reply(IrcNumerics.NotOnChannel, room, "You're not on that channel");
                return false;
            case ChatResult.NotOperator:
                Reply(IrcNumerics.ChanOPrivsNeeded, room, "You're not channel operator");
                return false;
            case ChatResult.NoSuchNick:
                Reply(IrcNumerics.NoSuchNick, nick ?? "*", "No such nick/channel");
                return true;
            case ChatResult.TargetNotInRoom:
                Reply(IrcNumerics.UserNotInChannel, nick ?? "*", room, "They aren't on that channel");
                return true;
            case ChatResult.MissingArgument:
                Reply(IrcNumerics.NeedMoreParams, command, "Not enough parameters");
                return true;
            case ChatResult.UnknownMode:
                Reply(IrcNumerics.UnknownMode, "*", "is unknown mode char to me");
                return true;
            default:
                return true;
        }
    }
}
