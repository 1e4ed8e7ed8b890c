using System.Buffers;
using System.Collections.Concurrent;

namespace SockCat.Services.Chat;

/// <summary>
/// One thing that happened on a <see cref="ChatHub"/> (<see cref="Kind"/>), made once and shared by every user it goes to.
/// A protocol is handed it in <see cref="IChatClient.OnChatEvent"/> and may read it only during that call: the event is
/// pooled and reused once every recipient has had it. Its wire form is made once per protocol kind, not once per
/// recipient: <see cref="Render"/> asks the protocol's <see cref="ChatRenderer"/> for the bytes the first time and hands the
/// same pooled bytes to every later recipient of that protocol, on any thread.
/// </summary>
internal sealed class ChatEvent
{
    // Enough for the events in flight at a few thousand members without holding memory after a burst.
    private const int PoolLimit = 4096;
    private static readonly ConcurrentQueue<ChatEvent> Pool = new();
    private static int _pooled;

    private readonly byte[]?[] _rendered = new byte[ChatRenderer.MaxRenderers][];
    private readonly int[] _renderedLength = new int[ChatRenderer.MaxRenderers];
    private int _references;

    private ChatEvent() => _renderedLength.AsSpan().Fill(-1);

    /// <summary>What happened; says which of the other properties are set.</summary>
    public ChatEventKind Kind { get; private set; }

    /// <summary>For <see cref="ChatEventKind.Message"/>: message, action or notice.</summary>
    public ChatMessageKind MessageKind { get; private set; }

    /// <summary>The user who acted (sender, joiner, kicker...): still the live user, whose nick may have changed since.</summary>
    public ChatUser Source { get; private set; } = null!;

    /// <summary>The acting user's nick when the event happened (for <see cref="ChatEventKind.Nick"/>, the old nick).</summary>
    public string SourceNick { get; private set; } = "";

    /// <summary>The acting user's user name (IRC's USER; the line protocol's is its nick), for IRC's <c>nick!user@host</c>.</summary>
    public string SourceUserName { get; private set; } = "";

    /// <summary>The acting user's host as others see it, for IRC's <c>nick!user@host</c>.</summary>
    public string SourceHost { get; private set; } = "";

    /// <summary>The room, for room events; null for private messages, quits and nick changes.</summary>
    public ChatRoom? Room { get; private set; }

    /// <summary>The user acted upon: the kicked, the invited, a private message's recipient. Null otherwise.</summary>
    public string? TargetNick { get; private set; }

    /// <summary>The message, topic or reason, cleaned (<see cref="ChatText.Clean"/>); empty when there is none.</summary>
    public string Text { get; private set; } = "";

    /// <summary>For <see cref="ChatEventKind.Nick"/>: the new nick.</summary>
    public string? NewNick { get; private set; }

    /// <summary>For <see cref="ChatEventKind.Mode"/>: the mode letter (k, i, t, n, o).</summary>
    public char Mode { get; private set; }

    /// <summary>For <see cref="ChatEventKind.Mode"/>: true when set (+), false when unset (-).</summary>
    public bool ModeOn { get; private set; }

    /// <summary>For <see cref="ChatEventKind.Mode"/>: the key (+k) or nick (+o, -o); null for modes without one.</summary>
    public string? ModeArgument { get; private set; }

    /// <summary>When the event happened (UTC).</summary>
    public DateTimeOffset Time { get; private set; }

    /// <summary>
    /// The event's wire form for <paramref name="renderer"/>'s protocol: made by <see cref="ChatRenderer.Render"/> on the first
    /// call for that renderer, then the same bytes for every recipient. Valid until the protocol's call returns. Empty when
    /// the renderer has no shared form for this event (the protocol writes it per recipient).
    /// </summary>
    public ReadOnlySpan<byte> Render(ChatRenderer renderer)
    {
        var slot = renderer.Slot;
        var bytes = Volatile.Read(ref _rendered[slot]);
        if (bytes is null)
        {
            var scratch = ChatRenderer.Scratch;
            scratch.ResetWrittenCount();
            renderer.Render(this, scratch);
            var made = ArrayPool<byte>.Shared.Rent(Math.Max(1, scratch.WrittenCount));
            scratch.WrittenSpan.CopyTo(made);
            var length = scratch.WrittenCount;
            // Another recipient's thread may have rendered it meanwhile: keep the first, return ours.
            if (Interlocked.CompareExchange(ref _rendered[slot], made, null) is { } first)
            {
                ArrayPool<byte>.Shared.Return(made);
                bytes = first;
            }
            else
            {
                Volatile.Write(ref _renderedLength[slot], length);
                bytes = made;
                return made.AsSpan(0, length);
            }
        }

        // The winner writes the length just after the bytes: wait for it (a few instructions at most).
        int n;
        var spin = new SpinWait();
        while ((n = Volatile.Read(ref _renderedLength[slot])) < 0)
        {
            spin.SpinOnce();
        }

        return bytes.AsSpan(0, n);
    }

    internal static ChatEvent Rent(ChatEventKind kind, ChatUser source, ChatRoom? room)
    {
        if (Pool.TryDequeue(out var e))
        {
            Interlocked.Decrement(ref _pooled);
        }
        else
        {
            e = new ChatEvent();
        }

        e.Kind = kind;
        e.MessageKind = ChatMessageKind.Message;
        e.Source = source;
        e.SourceNick = source.Nick;
        e.SourceUserName = source.UserName;
        e.SourceHost = source.Host;
        e.Room = room;
        e.TargetNick = null;
        e.Text = "";
        e.NewNick = null;
        e.Mode = '\0';
        e.ModeOn = false;
        e.ModeArgument = null;
        e.Time = DateTimeOffset.UtcNow;
        e._references = 1;
        return e;
    }

    internal ChatEvent WithMessage(ChatMessageKind kind, string text, string? target)
    {
        MessageKind = kind;
        Text = text;
        TargetNick = target;
        return this;
    }

    internal ChatEvent WithText(string text)
    {
        Text = text;
        return this;
    }

    internal ChatEvent WithTarget(string target, string text)
    {
        TargetNick = target;
        Text = text;
        return this;
    }

    internal ChatEvent WithNewNick(string nick)
    {
        NewNick = nick;
        return this;
    }

    internal ChatEvent WithMode(char mode, bool on, string? argument)
    {
        Mode = mode;
        ModeOn = on;
        ModeArgument = argument;
        return this;
    }

    internal void AddReference() => Interlocked.Increment(ref _references);

    internal void Release()
    {
        if (Interlocked.Decrement(ref _references) != 0)
        {
            return;
        }

        for (var i = 0; i < _rendered.Length; i++)
        {
            if (_rendered[i] is { } bytes)
            {
                ArrayPool<byte>.Shared.Return(bytes);
                _rendered[i] = null;
            }

            _renderedLength[i] = -1;
        }

        Source = null!;
        Room = null;
        if (Interlocked.Increment(ref _pooled) <= PoolLimit)
        {
            Pool.Enqueue(this);
        }
        else
        {
            Interlocked.Decrement(ref _pooled);
        }
    }
}
