namespace SockCat.Bench;

/// <summary>
/// Reads a server's resident memory from /proc: VmRSS of the process, or, when it has child processes (socat's fork,
/// ncat's --exec: a process per client), the proportional set size (Pss) of the whole tree, so that pages the
/// children share are counted once rather than once per child.
/// </summary>
internal static class ServerMemory
{
    /// <summary>Resident kilobytes of <paramref name="pid"/> and its descendants; null when the process is gone.</summary>
    public static long? ReadTreeRssKb(int pid)
    {
        var own = ReadRssKb(pid);
        if (own is null)
        {
            return null;
        }

        var children = new Dictionary<int, List<int>>();
        foreach (var dir in Directory.EnumerateDirectories("/proc"))
        {
            if (!int.TryParse(Path.GetFileName(dir), out var p) || p == pid)
            {
                continue;
            }

            var parent = ReadParent(p);
            if (parent is { } pp)
            {
                if (!children.TryGetValue(pp, out var list))
                {
                    children[pp] = list = [];
                }

                list.Add(p);
            }
        }

        if (!children.ContainsKey(pid))
        {
            return own;
        }

        var total = ReadPssKb(pid) ?? own.Value;
        var stack = new Stack<int>();
        stack.Push(pid);
        while (stack.Count > 0)
        {
            if (!children.TryGetValue(stack.Pop(), out var kids))
            {
                continue;
            }

            foreach (var kid in kids)
            {
                total += ReadPssKb(kid) ?? 0;
                stack.Push(kid);
            }
        }

        return total;
    }

    /// <summary>VmRSS of one process in kilobytes; null when it is gone or has none (a zombie).</summary>
    public static long? ReadRssKb(int pid) => ReadField($"/proc/{pid}/status", "VmRSS:");

    private static long? ReadPssKb(int pid) => ReadField($"/proc/{pid}/smaps_rollup", "Pss:");

    private static long? ReadField(string file, string field)
    {
        try
        {
            foreach (var line in File.ReadLines(file))
            {
                if (line.StartsWith(field, StringComparison.Ordinal))
                {
                    var digits = line.AsSpan(field.Length).Trim();
                    var space = digits.IndexOf(' ');
                    return long.Parse(space < 0 ? digits : digits[..space]);
                }
            }
        }
        catch (IOException)
        {
        }
        catch (UnauthorizedAccessException)
        {
        }

        return null;
    }

    private static int? ReadParent(int pid)
    {
        try
        {
            // /proc/PID/stat: "pid (comm) state ppid ..."; comm may hold spaces and parentheses, so split after the last ')'.
            var stat = File.ReadAllText($"/proc/{pid}/stat");
            var close = stat.LastIndexOf(')');
            var fields = stat.AsSpan(close + 2);
            var afterState = fields[(fields.IndexOf(' ') + 1)..];
            var end = afterState.IndexOf(' ');
            return int.Parse(afterState[..end]);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException or FormatException)
        {
            return null;
        }
    }
}
