namespace SockCat.Framing;

/// <summary>
/// The lines of one <see cref="LineFramer.Read"/> or <see cref="LineFramer.ReadFinal"/> call, a stack-only enumerator over
/// the caller's bytes (usable in <c>foreach</c>). Each <see cref="MoveNext"/> yields either a line (<see cref="Current"/>, a
/// slice of the data, valid until the protocol's call returns) or, once per over-long line, <see cref="IsTooLong"/> with
/// an empty <see cref="Current"/>. <see cref="Consumed"/> counts the bytes of every line yielded so far, terminators and
/// dropped bytes included; after the last <see cref="MoveNext"/> it is what <c>OnReceived</c> returns.
/// </summary>
public ref struct LineEnumerator
{
    private const byte Lf = (byte)'\n';
    private const byte Cr = (byte)'\r';

    private readonly LineFramer _framer;
    private readonly ReadOnlySpan<byte> _data;
    private readonly bool _final;
    private int _consumed;
    private ReadOnlySpan<byte> _current;
    private int _rawLength;
    private bool _tooLong;

    internal LineEnumerator(LineFramer framer, ReadOnlySpan<byte> data, bool final)
    {
        _framer = framer;
        _data = data;
        _final = final;
        if (framer.Searched > data.Length)
        {
            // Not the transport's re-presented bytes after all: search everything rather than trust the mark.
            framer.Searched = 0;
        }
    }

    /// <summary>The current line without its terminator; empty when <see cref="IsTooLong"/>.</summary>
    public readonly ReadOnlySpan<byte> Current => _current;

    /// <summary>
    /// The current line as received, with its terminator (LF or CRLF; none for a last line at end of input): a slice of the
    /// data that ends at <see cref="Consumed"/>, for a relay that passes lines on unchanged. Empty when <see cref="IsTooLong"/>.
    /// </summary>
    public readonly ReadOnlySpan<byte> CurrentWithTerminator => _tooLong ? default : _data.Slice(_consumed - _rawLength, _rawLength);

    /// <summary>True when the current item is the report of a line over <see cref="LineFramer.MaxLineLength"/>, whose bytes are dropped.</summary>
    public readonly bool IsTooLong => _tooLong;

    /// <summary>Bytes of the data accounted for so far: return this from <c>OnReceived</c> once enumeration is done.</summary>
    public readonly int Consumed => _consumed;

    /// <summary>Returns this enumerator, for <c>foreach</c>.</summary>
    public readonly LineEnumerator GetEnumerator() => this;

    /// <summary>Moves to the next line or over-long report; false when the rest is an incomplete line left for the next call.</summary>
    public bool MoveNext()
    {
        var framer = _framer;
        var max = framer.MaxLineLength;
        _tooLong = false;
        _current = default;
        _rawLength = 0;
        while (true)
        {
            var rest = _data[_consumed..];
            if (rest.IsEmpty)
            {
                return false;
            }

            // Bytes before `searched` were searched for a newline in an earlier call and had none.
            var searched = framer.Searched;
            var at = rest[searched..].IndexOf(Lf);
            if (framer.Discarding)
            {
                framer.Searched = 0;
                if (at < 0 || _final)
                {
                    // The over-long line goes on past these bytes (or input ended inside it): drop them all.
                    _consumed = _data.Length;
                    framer.Discarding = !_final;
                    return false;
                }

                _consumed += searched + at + 1;
                framer.Discarding = false;
                continue;
            }

            if (at >= 0)
            {
                var end = searched + at;
                framer.Searched = 0;
                var line = rest[..end];
                _consumed += end + 1;
                if (!line.IsEmpty && line[^1] == Cr)
                {
                    line = line[..^1];
                }

                if (line.Length > max)
                {
                    _tooLong = true;
                    return true;
                }

                _current = line;
                _rawLength = end + 1;
                return true;
            }

            // No newline in the rest: an incomplete line, unless input has ended or it is already too long. max + 1 allows
            // a line of exactly max bytes whose CR has come and LF not yet.
            if (_final)
            {
                framer.Searched = 0;
                _consumed = _data.Length;
                var last = rest;
                if (last[^1] == Cr)
                {
                    last = last[..^1];
                }

                if (last.Length > max)
                {
                    _tooLong = true;
                    return true;
                }

                _current = last;
                _rawLength = rest.Length;
                return true;
            }

            if (rest.Length > max + 1 || (rest.Length == max + 1 && rest[^1] != Cr))
            {
                framer.Searched = 0;
                framer.Discarding = true;
                _consumed = _data.Length;
                _tooLong = true;
                return true;
            }

            framer.Searched = rest.Length;
            return false;
        }
    }
}
