namespace SockCat.Framing;

/// <summary>
/// Splits a connection's input into lines, sans-IO: a protocol hands it the bytes <c>OnReceived</c> was given, takes the
/// lines out of the returned <see cref="LineEnumerator"/>, and returns the enumerator's <see cref="LineEnumerator.Consumed"/>
/// so the transport keeps an incomplete last line and presents it again with what arrives next. LF and CRLF both end a
/// line; the terminator is not part of it. A line longer than <see cref="MaxLineLength"/> is never held whole: as soon as
/// it is known to be too long it is reported once (<see cref="LineEnumerator.IsTooLong"/>) and its bytes are consumed and
/// dropped up to its newline, so what the transport keeps stays under the bound. Nothing is allocated per line.
/// <code>
/// public int OnReceived(IConnection connection, ReadOnlySpan&lt;byte&gt; data)
/// {
///     var lines = _framer.Read(data);
///     while (lines.MoveNext())
///     {
///         if (lines.IsTooLong) { connection.Write("line too long\n"u8); continue; }
///         Handle(lines.Current);
///     }
///     return lines.Consumed;
/// }
/// </code>
/// One framer per connection: it remembers, between calls, whether it is dropping an over-long line, and how much of the
/// kept bytes it has already searched (so a line trickling in byte by byte is not searched again from its start each time).
/// That relies on the transport's contract: each call's data begins with exactly what the previous call left unconsumed.
/// </summary>
public sealed class LineFramer
{
    /// <summary>The default <see cref="MaxLineLength"/>: 64 KiB.</summary>
    public const int DefaultMaxLineLength = 64 * 1024;

    private bool _discarding;
    private int _searched;

    /// <summary>Creates a framer for one connection.</summary>
    /// <param name="maxLineLength">The longest line accepted, in bytes, without its terminator; at least 1.</param>
    public LineFramer(int maxLineLength = DefaultMaxLineLength)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(maxLineLength, 1);
        ArgumentOutOfRangeException.ThrowIfGreaterThan(maxLineLength, int.MaxValue - 2);
        MaxLineLength = maxLineLength;
    }

    /// <summary>The longest line accepted, in bytes, without its terminator.</summary>
    public int MaxLineLength { get; }

    /// <summary>True while the rest of an over-long line (already reported) is being dropped, up to its newline.</summary>
    public bool IsDiscarding => _discarding;

    /// <summary>
    /// The lines in <paramref name="data"/>: what the previous call left unconsumed, followed by the bytes that arrived since.
    /// Enumerate it to the end, then return its <see cref="LineEnumerator.Consumed"/> from <c>OnReceived</c>.
    /// </summary>
    public LineEnumerator Read(ReadOnlySpan<byte> data) => new(this, data, final: false);

    /// <summary>
    /// The last lines at end of input: <paramref name="unconsumed"/> (what <c>OnInputEnded</c> is given) ends a line even without
    /// a newline (a trailing CR is dropped as part of a cut CRLF). An over-long line being dropped ends here, unreported again.
    /// The enumerator consumes everything.
    /// </summary>
    public LineEnumerator ReadFinal(ReadOnlySpan<byte> unconsumed) => new(this, unconsumed, final: true);

    /// <summary>Forgets any partial state (a line being dropped), for a framer reused on a new stream.</summary>
    public void Reset()
    {
        _discarding = false;
        _searched = 0;
    }

    internal bool Discarding
    {
        get => _discarding;
        set => _discarding = value;
    }

    internal int Searched
    {
        get => _searched;
        set => _searched = value;
    }
}
