using System.Buffers;
using System.Text;

namespace SockCat.Services.Chat.Irc;

/// <summary>
/// Builds one line the server sends, in a caller's buffer (stack memory, nothing allocated): an optional source prefix,
/// the command, middle parameters and a trailing one, cut to IRC's 512 bytes with CRLF on a UTF-8 boundary. Text from
/// users is made safe for the grammar on the way: CR, LF and NUL become spaces, so no one's text can end a line early and
/// forge a server message in another client (some clients end lines at a bare CR).
/// <code>
/// var line = new IrcLine(stackalloc byte[IrcLine.MaxBytes]);
/// line.Source("sockcat"); line.Word("001"); line.Word(nick); line.Trailing("Welcome");
/// connection.Write(line.Finish());
/// </code>
/// </summary>
internal ref struct IrcLine
{
    /// <summary>The longest line, CRLF included (RFC 1459 §2.3).</summary>
    public const int MaxBytes = 512;

    // Room kept for the CRLF that Finish appends.
    private const int MaxContent = MaxBytes - 2;

    private readonly Span<byte> _buffer;
    private int _length;
    private bool _full;

    /// <summary>Starts an empty line in <paramref name="buffer"/>, which must hold <see cref="MaxBytes"/>.</summary>
    public IrcLine(Span<byte> buffer)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(buffer.Length, MaxBytes);
        _buffer = buffer;
        _length = 0;
        _full = false;
    }

    /// <summary>The bytes so far, without CRLF.</summary>
    public readonly ReadOnlySpan<byte> Written => _buffer[.._length];

    /// <summary>The source prefix (<c>:server</c> or <c>:nick!user@host</c>); must come first.</summary>
    public void Source(scoped ReadOnlySpan<char> source)
    {
        AppendByte((byte)':');
        AppendText(source);
    }

    /// <summary>The source prefix of a user: <c>:nick!user@host</c>.</summary>
    public void Source(scoped ReadOnlySpan<char> nick, scoped ReadOnlySpan<char> user, scoped ReadOnlySpan<char> host)
    {
        AppendByte((byte)':');
        AppendText(nick);
        AppendByte((byte)'!');
        AppendText(user);
        AppendByte((byte)'@');
        AppendText(host);
    }

    /// <summary>The command or a middle parameter, after a space (none before the first thing on the line).</summary>
    public void Word(scoped ReadOnlySpan<char> word)
    {
        if (_length > 0)
        {
            AppendByte((byte)' ');
        }

        AppendText(word);
    }

    /// <summary>The trailing parameter: <c> :</c> and the text, which may hold spaces; the last thing on the line.</summary>
    public void Trailing(scoped ReadOnlySpan<char> text)
    {
        AppendByte((byte)' ');
        AppendByte((byte)':');
        AppendText(text);
    }

    /// <summary>More text for the trailing parameter begun with <see cref="Trailing"/>, without a separator.</summary>
    public void Append(scoped ReadOnlySpan<char> text) => AppendText(text);

    /// <summary>
    /// The last parameter as RFC 1459 allows it: bare when it is one word (<c>JOIN #room</c>, as clients expect for
    /// JOIN and NICK), trailing otherwise (empty, with a space, or starting with a colon).
    /// </summary>
    public void Last(scoped ReadOnlySpan<char> text)
    {
        if (text.IsEmpty || text[0] == ':' || text.Contains(' '))
        {
            Trailing(text);
        }
        else
        {
            Word(text);
        }
    }

    /// <summary>Appends CRLF and returns the whole line.</summary>
    public ReadOnlySpan<byte> Finish()
    {
        _buffer[_length++] = (byte)'\r';
        _buffer[_length++] = (byte)'\n';
        return _buffer[.._length];
    }

    /// <summary>Appends CRLF and writes the line to <paramref name="output"/>.</summary>
    public void WriteTo(IBufferWriter<byte> output) => output.Write(Finish());

    private void AppendByte(byte b)
    {
        if (_length < MaxContent)
        {
            _buffer[_length++] = b;
        }
        else
        {
            _full = true;
        }
    }

    private void AppendText(scoped ReadOnlySpan<char> text)
    {
        if (_full)
        {
            return;
        }

        if (Ascii.IsValid(text) && text.Length <= MaxContent - _length && text.IndexOfAny('\r', '\n', '\0') < 0)
        {
            // The common case: plain ASCII that fits, one copy.
            Ascii.FromUtf16(text, _buffer[_length..], out var written);
            _length += written;
            return;
        }

        foreach (var rune in text.EnumerateRunes())
        {
            var safe = rune.Value is '\r' or '\n' or '\0' ? new Rune(' ') : rune;
            if (safe.Utf8SequenceLength > MaxContent - _length)
            {
                // Cut whole characters only: a client decoding UTF-8 never sees half of one.
                _full = true;
                return;
            }

            _length += safe.EncodeToUtf8(_buffer[_length..]);
        }
    }
}
