using System.Buffers;
using System.Text.Json;

namespace SockCat.Services.Chat.Web;

/// <summary>The server's own JSON messages to a page (docs/chat.md, "Browser"); events are <see cref="WebChatRenderer"/>'s.</summary>
internal static class WebChatJson
{
    public static void Welcome(IBufferWriter<byte> output, ChatService service)
    {
        using var json = Start(output, "welcome");
        var options = service.Hub.Options;
        json.WriteString("server", options.ServerName);
        json.WriteNumber("maxNick", options.MaxNickLength);
        json.WriteNumber("maxRoom", options.MaxRoomNameLength);
        json.WriteNumber("maxTopic", options.MaxTopicLength);
        json.WriteNumber("maxText", service.Options.MaxLineLength);
        json.WriteNumber("resumeSeconds", service.Options.WebResumeWindow.TotalSeconds);
        json.WriteEndObject();
    }

    /// <summary>
    /// Who the page is. <paramref name="next"/> is the number of the message that follows (the page counts from it, to
    /// say how many it had when it resumes); <paramref name="gap"/> says messages since the page's count were lost.
    /// </summary>
    public static void Registered(IBufferWriter<byte> output, ChatUser user, string token, bool resumed, long next, bool gap)
    {
        using var json = Start(output, "registered");
        json.WriteString("nick", user.Nick);
        json.WriteString("resume", token);
        json.WriteBoolean("resumed", resumed);
        json.WriteNumber("next", next);
        json.WriteBoolean("gap", gap);
        json.WriteStartArray("rooms");
        foreach (var room in user.Rooms)
        {
            json.WriteStringValue(room.Name);
        }

        json.WriteEndArray();
        json.WriteEndObject();
    }

    /// <summary>The rooms <paramref name="viewer"/> may see (public ones, and private ones it is in), with member counts.</summary>
    public static void Rooms(IBufferWriter<byte> output, ChatHub hub, ChatUser? viewer)
    {
        using var json = Start(output, "rooms");
        json.WriteStartArray("rooms");
        foreach (var room in hub.ListRooms(viewer))
        {
            json.WriteStartObject();
            json.WriteString("room", room.Name);
            json.WriteNumber("members", room.MemberCount);
            json.WriteString("topic", ChatText.RemoveIrcFormatting(room.Topic));
            json.WriteBoolean("private", room.IsPrivate);
            json.WriteEndObject();
        }

        json.WriteEndArray();
        json.WriteEndObject();
    }

    /// <summary>A room as a member sees it on joining: topic, modes (with the key), members and who are operators.</summary>
    public static void Names(IBufferWriter<byte> output, ChatRoom room)
    {
        using var json = Start(output, "names");
        json.WriteString("room", room.Name);
        json.WriteString("topic", ChatText.RemoveIrcFormatting(room.Topic));
        json.WriteString("topicBy", room.TopicSetBy);
        json.WriteString("modes", room.ModeString);
        if (room.Key is { } key)
        {
            json.WriteString("key", key);
        }

        json.WriteStartArray("members");
        foreach (var member in room.Members)
        {
            json.WriteStartObject();
            json.WriteString("nick", member.User.Nick);
            json.WriteBoolean("op", member.IsOperator);
            json.WriteEndObject();
        }

        json.WriteEndArray();
        json.WriteEndObject();
    }

    /// <summary>The sender's own message back (the hub delivers a message to everyone but its sender), as others got it.</summary>
    public static void Own(IBufferWriter<byte> output, string? room, string from, string? to, ChatMessageKind kind, string text)
    {
        using var json = new Utf8JsonWriter(output, WebChatRenderer.Writing);
        json.WriteStartObject();
        WebChatRenderer.WriteMessage(json, room, from, to, kind, ChatText.Clean(text));
        json.WriteNumber("time", DateTimeOffset.UtcNow.ToUnixTimeMilliseconds());
        json.WriteEndObject();
    }

    public static void Invited(IBufferWriter<byte> output, string nick, string room)
    {
        using var json = Start(output, "invited");
        json.WriteString("nick", nick);
        json.WriteString("room", room);
        json.WriteEndObject();
    }

    /// <summary>A refused request: <paramref name="request"/> is its type, <paramref name="code"/> a stable word for programs.</summary>
    public static void Error(IBufferWriter<byte> output, string? request, string code, string text)
    {
        using var json = Start(output, "error");
        if (request is not null)
        {
            json.WriteString("request", request);
        }

        json.WriteString("code", code);
        json.WriteString("error", text);
        json.WriteEndObject();
    }

    public static byte[] ToArray(Action<IBufferWriter<byte>> write)
    {
        var buffer = new ArrayBufferWriter<byte>(256);
        write(buffer);
        return buffer.WrittenSpan.ToArray();
    }

    private static Utf8JsonWriter Start(IBufferWriter<byte> output, string type)
    {
        var json = new Utf8JsonWriter(output, WebChatRenderer.Writing);
        json.WriteStartObject();
        json.WriteString("type", type);
        return json;
    }
}
