using System.Buffers;
using System.Text.Encodings.Web;
using System.Text.Json;

namespace SockCat.Services.Chat.Web;

/// <summary>
/// Hub events as browsers receive them: one JSON object per event (docs/chat.md, "Browser"), the same bytes for every
/// web recipient, rendered once per event. Text is JSON-escaped here and shown as text by the page, never as markup.
/// </summary>
internal sealed class WebChatRenderer : ChatRenderer
{
    /// <summary>The one renderer of the web chat (renderers are singletons: each owns a slot in every event).</summary>
    public static readonly WebChatRenderer Instance = new();

    /// <summary>
    /// JSON as a program reads it: only what JSON requires is escaped (quotes, backslashes, controls), so <c>+</c> and
    /// <c>&lt;</c> stay themselves. "Unsafe" is for JSON pasted into HTML; the page parses it and shows text with textContent.
    /// </summary>
    internal static readonly JsonWriterOptions Writing = new() { Encoder = JavaScriptEncoder.UnsafeRelaxedJsonEscaping };

    private WebChatRenderer()
    {
    }

    /// <inheritdoc />
    public override void Render(ChatEvent e, IBufferWriter<byte> output)
    {
        using var json = new Utf8JsonWriter(output, WebChatRenderer.Writing);
        json.WriteStartObject();
        switch (e.Kind)
        {
            case ChatEventKind.Message:
                WriteMessage(json, e.Room?.Name, e.SourceNick, e.TargetNick, e.MessageKind, e.Text);
                break;
            case ChatEventKind.Join:
                json.WriteString("type", "join");
                json.WriteString("room", e.Room!.Name);
                json.WriteString("nick", e.SourceNick);
                json.WriteBoolean("op", e.Room.IsOperator(e.Source));
                break;
            case ChatEventKind.Part:
                json.WriteString("type", "part");
                json.WriteString("room", e.Room!.Name);
                json.WriteString("nick", e.SourceNick);
                json.WriteString("reason", Plain(e.Text));
                break;
            case ChatEventKind.Quit:
                json.WriteString("type", "quit");
                json.WriteString("nick", e.SourceNick);
                json.WriteString("reason", Plain(e.Text));
                break;
            case ChatEventKind.Nick:
                json.WriteString("type", "nick");
                json.WriteString("nick", e.SourceNick);
                json.WriteString("newNick", e.NewNick);
                break;
            case ChatEventKind.Topic:
                json.WriteString("type", "topic");
                json.WriteString("room", e.Room!.Name);
                json.WriteString("nick", e.SourceNick);
                json.WriteString("topic", Plain(e.Text));
                break;
            case ChatEventKind.Kick:
                json.WriteString("type", "kick");
                json.WriteString("room", e.Room!.Name);
                json.WriteString("nick", e.SourceNick);
                json.WriteString("target", e.TargetNick);
                json.WriteString("reason", Plain(e.Text));
                break;
            case ChatEventKind.Invite:
                json.WriteString("type", "invite");
                json.WriteString("room", e.Room!.Name);
                json.WriteString("nick", e.SourceNick);
                json.WriteString("target", e.TargetNick);
                break;
            case ChatEventKind.Mode:
                json.WriteString("type", "mode");
                json.WriteString("room", e.Room!.Name);
                json.WriteString("nick", e.SourceNick);
                json.WriteString("mode", (e.ModeOn ? "+" : "-") + e.Mode);
                if (e.ModeArgument is { } argument)
                {
                    json.WriteString("arg", argument);
                }

                break;
        }

        json.WriteNumber("time", e.Time.ToUnixTimeMilliseconds());
        json.WriteEndObject();
    }

    /// <summary>A message's fields (without the braces): the shared event's, and the echo a sender gets of its own.</summary>
    public static void WriteMessage(Utf8JsonWriter json, string? room, string from, string? to, ChatMessageKind kind, string text)
    {
        json.WriteString("type", room is null ? "pm" : "message");
        if (room is null)
        {
            json.WriteString("to", to);
        }
        else
        {
            json.WriteString("room", room);
        }

        json.WriteString("from", from);
        json.WriteString("kind", kind switch
        {
            ChatMessageKind.Action => "action",
            ChatMessageKind.Notice => "notice",
            _ => "message",
        });
        json.WriteString("text", Plain(text));
    }

    // IRC's bold and colour codes mean nothing on the page: they would show as stray characters.
    private static string Plain(string text) => ChatText.RemoveIrcFormatting(text);
}
