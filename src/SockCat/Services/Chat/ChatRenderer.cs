using System.Buffers;

namespace SockCat.Services.Chat;

/// <summary>
/// How one wire protocol writes hub events (the line protocol's <c>[#room] &lt;alice&gt; hello</c>, IRC's
/// <c>:alice!alice@host PRIVMSG #room :hello</c>). Make one instance per protocol (a static singleton): each instance owns
/// a slot in every <see cref="ChatEvent"/>, so an event is rendered once per protocol whatever the number of recipients,
/// and fan-out allocates nothing per member. At most <see cref="MaxRenderers"/> instances exist in a process.
/// </summary>
internal abstract class ChatRenderer
{
    /// <summary>Renderers a process may create (line, IRC, web, and room to spare).</summary>
    public const int MaxRenderers = 8;

    private static int _next = -1;

    [ThreadStatic]
    private static ArrayBufferWriter<byte>? _scratch;

    /// <summary>Takes the next slot; throws past <see cref="MaxRenderers"/>.</summary>
    protected ChatRenderer()
    {
        Slot = Interlocked.Increment(ref _next);
        if (Slot >= MaxRenderers)
        {
            throw new InvalidOperationException($"At most {MaxRenderers} chat renderers may exist; make each protocol's renderer a singleton.");
        }
    }

    internal int Slot { get; }

    internal static ArrayBufferWriter<byte> Scratch => _scratch ??= new ArrayBufferWriter<byte>(1024);

    /// <summary>
    /// Writes <paramref name="e"/> as every recipient of this protocol receives it (terminator included), or nothing when
    /// the event has no shared form for this protocol (the protocol then writes it per recipient). Called once per event,
    /// on any recipient's thread; must not keep <paramref name="e"/> or depend on the recipient.
    /// </summary>
    public abstract void Render(ChatEvent e, IBufferWriter<byte> output);
}
