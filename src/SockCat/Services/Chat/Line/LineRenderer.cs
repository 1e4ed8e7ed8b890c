using System.Buffers;
using System.Text;

namespace SockCat.Services.Chat.Line;

/// <summary>
/// Hub events as the line protocol shows them, one line each, the same for every line-protocol recipient:
/// <c>[#room] &lt;alice&gt; hello</c>, <c>[#room] * alice waves</c>, <c>[pm] &lt;alice&gt; hi</c>,
/// <c>[#room] *** bob joined</c>, <c>*** bob quit (reason)</c>. IRC's formatting codes are taken out of the text (a terminal
/// would show them as garbage); every other control character was made visible by the hub.
/// </summary>
internal sealed class LineRenderer : ChatRenderer
{
    public static readonly LineRenderer Instance = new();

    private LineRenderer()
    {
    }

    public override void Render(ChatEvent e, IBufferWriter<byte> output)
    {
        if (e.Room is { } room && e.Kind != ChatEventKind.Invite)
        {
            Put(output, "["u8);
            Put(output, room.Name);
            Put(output, "] "u8);
        }

        switch (e.Kind)
        {
            case ChatEventKind.Message:
                if (e.Room is null)
                {
                    Put(output, "[pm] "u8);
                }

                Put(output, e.MessageKind switch
                {
                    ChatMessageKind.Action => "* "u8,
                    ChatMessageKind.Notice => "-"u8,
                    _ => "<"u8,
                });
                Put(output, e.SourceNick);
                Put(output, e.MessageKind switch
                {
                    ChatMessageKind.Action => " "u8,
                    ChatMessageKind.Notice => "- "u8,
                    _ => "> "u8,
                });
                Put(output, ChatText.RemoveIrcFormatting(e.Text));
                break;
            case ChatEventKind.Join:
                Notice(output, e.SourceNick, " joined"u8);
                break;
            case ChatEventKind.Part:
                Notice(output, e.SourceNick, " left"u8);
                Reason(output, e.Text);
                break;
            case ChatEventKind.Quit:
                Notice(output, e.SourceNick, " quit"u8);
                Reason(output, e.Text);
                break;
            case ChatEventKind.Nick:
                Notice(output, e.SourceNick, " is now known as "u8);
                Put(output, e.NewNick ?? "");
                break;
            case ChatEventKind.Topic when e.Text.Length == 0:
                Notice(output, e.SourceNick, " cleared the topic"u8);
                break;
            case ChatEventKind.Topic:
                Notice(output, e.SourceNick, " set the topic: "u8);
                Put(output, ChatText.RemoveIrcFormatting(e.Text));
                break;
            case ChatEventKind.Kick:
                Notice(output, e.SourceNick, " kicked "u8);
                Put(output, e.TargetNick ?? "");
                Reason(output, e.Text);
                break;
            case ChatEventKind.Invite:
                Notice(output, e.SourceNick, " invites you to "u8);
                Put(output, e.Room!.Name);
                Put(output, "; type /join "u8);
                Put(output, LineChatProtocol.Bare(e.Room.Name));
                Put(output, " to go in"u8);
                break;
            case ChatEventKind.Mode:
                Notice(output, e.SourceNick, " "u8);
                Put(output, DescribeMode(e.Room!.Name, e.Mode, e.ModeOn, e.ModeArgument));
                break;
        }

        Put(output, "\n"u8);
    }

    /// <summary>A mode change in words: "made the room invite-only", "set the key to KEY", "made bob an operator".</summary>
    internal static string DescribeMode(string room, char mode, bool on, string? argument) => (mode, on) switch
    {
        ('k', true) => $"set the key to {argument} (join with /join {LineChatProtocol.Bare(room)} {argument})",
        ('k', false) => "removed the key",
        ('i', true) => "made the room invite-only",
        ('i', false) => "opened the room to everyone",
        ('t', true) => "let only operators set the topic",
        ('t', false) => "let every member set the topic",
        ('n', true) => "let only members send to the room",
        ('n', false) => "let non-members send to the room",
        ('o', true) => $"made {argument} an operator",
        ('o', false) => $"took operator from {argument}",
        _ => $"set mode {(on ? '+' : '-')}{mode}",
    };

    private static void Notice(IBufferWriter<byte> output, string nick, ReadOnlySpan<byte> what)
    {
        Put(output, "*** "u8);
        Put(output, nick);
        Put(output, what);
    }

    private static void Reason(IBufferWriter<byte> output, string reason)
    {
        if (reason.Length > 0)
        {
            Put(output, " ("u8);
            Put(output, ChatText.RemoveIrcFormatting(reason));
            Put(output, ")"u8);
        }
    }

    internal static void Put(IBufferWriter<byte> output, ReadOnlySpan<byte> bytes) => output.Write(bytes);

    internal static void Put(IBufferWriter<byte> output, string text) => Encoding.UTF8.GetBytes(text.AsSpan(), output);
}
