using System.Text;

namespace SockCat.Services.Exec;

/// <summary>
/// Output bytes to text for the web: whole lines (websocketd's one message per line), or under a pty every chunk as
/// it comes (a prompt has no newline); UTF-8 sequences cut between reads are carried over, never mangled.
/// </summary>
internal sealed class LineSplitter(bool wholeLines, int maxLine)
{
    private readonly Decoder _decoder = new UTF8Encoding(false).GetDecoder();
    private readonly StringBuilder _held = new();

    /// <summary>The texts to send for <paramref name="data"/>; <paramref name="final"/> flushes what is held.</summary>
    public List<string> Add(ReadOnlySpan<byte> data, bool final = false)
    {
        var chars = new char[Encoding.UTF8.GetMaxCharCount(data.Length) + 4];
        var n = _decoder.GetChars(data, chars, final);
        var texts = new List<string>();
        if (!wholeLines)
        {
            if (n > 0)
            {
                texts.Add(new string(chars, 0, n));
            }

            return texts;
        }

        foreach (var c in chars.AsSpan(0, n))
        {
            if (c == '\n')
            {
                texts.Add(_held.ToString().TrimEnd('\r'));
                _held.Clear();
            }
            else
            {
                _held.Append(c);
                if (_held.Length >= maxLine)
                {
                    texts.Add(_held.ToString());
                    _held.Clear();
                }
            }
        }

        if (final && _held.Length > 0)
        {
            texts.Add(_held.ToString());
            _held.Clear();
        }

        return texts;
    }
}
