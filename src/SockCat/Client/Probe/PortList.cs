using System.Globalization;

namespace SockCat.Client.Probe;

/// <summary>
/// A port specification as nmap and nc take them: single ports, ranges and lists, <c>20-25,80,443</c>. Ports keep the
/// order given, each once.
/// </summary>
public static class PortList
{
    /// <summary>The most ports one specification may name: all of them.</summary>
    public const int MaxPorts = 65_535;

    /// <summary>Parses <paramref name="text"/>; on failure <paramref name="error"/> is one line that says what is wrong and what to give.</summary>
    public static bool TryParse(string text, out IReadOnlyList<int> ports, out string? error)
    {
        ArgumentNullException.ThrowIfNull(text);
        var list = new List<int>();
        var seen = new HashSet<int>();
        ports = list;
        error = null;
        if (text.Length == 0)
        {
            error = "no port given; give ports as 80, 20-25 or 22,80,443";
            return false;
        }

        foreach (var part in text.Split(','))
        {
            var dash = part.IndexOf('-', StringComparison.Ordinal);
            var (first, last) = dash < 0 ? (part, part) : (part[..dash], part[(dash + 1)..]);
            if (!TryPort(first, out var from) || !TryPort(last, out var to))
            {
                error = $"'{part}' in '{text}' is not a port or range; give ports from 1 to 65535 as 80, 20-25 or 22,80,443";
                return false;
            }

            if (from > to)
            {
                error = $"'{part}' in '{text}' runs backwards; write the lower port first ({to}-{from})";
                return false;
            }

            for (var port = from; port <= to; port++)
            {
                if (seen.Add(port))
                {
                    list.Add(port);
                }
            }
        }

        return true;
    }

    private static bool TryPort(string text, out int port) =>
        int.TryParse(text, NumberStyles.None, CultureInfo.InvariantCulture, out port) && port is >= 1 and <= 65_535;
}
