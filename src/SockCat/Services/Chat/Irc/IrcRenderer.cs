using System.Buffers;

namespace SockCat.Services.Chat.Irc;

/// <summary>
/// Hub events as IRC clients receive them, each with its actor's <c>:nick!user@host</c> source: the same bytes for every
/// IRC recipient, rendered once per event. Line-protocol users appear with their nick as user name and their address as
/// host, so an IRC client shows them like anyone else.
/// </summary>
internal sealed class IrcRenderer : ChatRenderer
{
    /// <summary>The one renderer of IRC (renderers are singletons: each owns a slot in every event).</summary>
    public static readonly IrcRenderer Instance = new();

    private IrcRenderer()
    {
    }

    /// <inheritdoc />
    public override void Render(ChatEvent e, IBufferWriter<byte> output)
    {
        var line = new IrcLine(stackalloc byte[IrcLine.MaxBytes]);
        line.Source(e.SourceNick, e.SourceUserName, IrcHost.Visible(e.SourceHost));
        switch (e.Kind)
        {
            case ChatEventKind.Message:
                line.Word(e.MessageKind == ChatMessageKind.Notice ? "NOTICE" : "PRIVMSG");
                line.Word(e.Room?.Name ?? e.TargetNick ?? "*");
                if (e.MessageKind == ChatMessageKind.Action)
                {
                    line.Trailing("\u0001ACTION ");
                    line.Append(e.Text);
                    line.Append("\u0001");
                }
                else
                {
                    line.Trailing(e.Text);
                }

                break;
            case ChatEventKind.Join:
                line.Word("JOIN");
                line.Last(e.Room!.Name);
                break;
            case ChatEventKind.Part:
                line.Word("PART");
                line.Word(e.Room!.Name);
                if (e.Text.Length > 0)
                {
                    line.Trailing(e.Text);
                }

                break;
            case ChatEventKind.Quit:
                line.Word("QUIT");
                line.Trailing(e.Text);
                break;
            case ChatEventKind.Nick:
                line.Word("NICK");
                line.Last(e.NewNick!);
                break;
            case ChatEventKind.Topic:
                line.Word("TOPIC");
                line.Word(e.Room!.Name);
                line.Trailing(e.Text);
                break;
            case ChatEventKind.Kick:
                line.Word("KICK");
                line.Word(e.Room!.Name);
                line.Word(e.TargetNick!);
                line.Trailing(e.Text.Length > 0 ? e.Text : e.SourceNick);
                break;
            case ChatEventKind.Invite:
                line.Word("INVITE");
                line.Word(e.TargetNick!);
                line.Last(e.Room!.Name);
                break;
            case ChatEventKind.Mode:
                line.Word("MODE");
                line.Word(e.Room!.Name);
                Span<char> mode = [e.ModeOn ? '+' : '-', e.Mode];
                if (e.ModeArgument is { } argument)
                {
                    line.Word(mode);
                    line.Last(argument);
                }
                else
                {
                    line.Last(mode);
                }

                break;
            default:
                return;
        }

        line.WriteTo(output);
    }
}
