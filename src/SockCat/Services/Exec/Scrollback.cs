namespace SockCat.Services.Exec;

/// <summary>The last lines of a broadcast, for late joiners and for resuming from an event id; not thread-safe.</summary>
internal sealed class Scrollback(int capacity)
{
    private readonly ExecLine[] _lines = new ExecLine[Math.Max(capacity, 0)];
    private int _next;
    private int _count;

    public void Add(ExecLine line)
    {
        if (_lines.Length == 0)
        {
            return;
        }

        _lines[_next] = line;
        _next = (_next + 1) % _lines.Length;
        _count = Math.Min(_count + 1, _lines.Length);
    }

    /// <summary>The lines kept whose sequence is above <paramref name="after"/>, oldest first.</summary>
    public List<ExecLine> Since(long after)
    {
        var result = new List<ExecLine>(_count);
        for (var i = 0; i < _count; i++)
        {
            var line = _lines[(_next - _count + i + _lines.Length) % _lines.Length];
            if (line.Sequence > after)
            {
                result.Add(line);
            }
        }

        return result;
    }
}
