using System.Net;

namespace SockCat.Cli;

/// <summary>
/// Recognises nc's command lines (<c>-l 9000</c>, <c>-lk 9000</c>, <c>HOST PORT</c>) typed to sockcat, and says which
/// sockcat command does the same: the first thing an nc user types should teach the URL form, not only fail.
/// </summary>
internal static class NcHabits
{
    /// <summary>One line naming the sockcat command to type instead; null when <paramref name="args"/> do not read as nc's.</summary>
    public static string? Hint(IReadOnlyList<string> args)
    {
        bool listen = false, keep = false, udp = false, unix = false, crlf = false, zero = false;
        string? listenFlag = null, port = null, wait = null;
        var positionals = new List<string>();
        for (var i = 0; i < args.Count; i++)
        {
            var arg = args[i];
            if (arg.Length < 2 || arg[0] != '-' || arg.StartsWith("--", StringComparison.Ordinal))
            {
                positionals.Add(arg);
                continue;
            }

            // A cluster of nc's one-letter flags (-lkv); -p, -w, -q, -s take a value, attached (-p9000) or next.
            for (var j = 1; j < arg.Length; j++)
            {
                var flag = arg[j];
                if (flag is 'p' or 'w' or 'q' or 's' or 'i')
                {
                    var value = j + 1 < arg.Length ? arg[(j + 1)..] : i + 1 < args.Count ? args[++i] : null;
                    if (value is null)
                    {
                        return null;
                    }

                    (port, wait) = flag switch { 'p' => (value, wait), 'w' => (port, value), _ => (port, wait) };
                    break;
                }

                switch (flag)
                {
                    case 'l': listen = true; listenFlag ??= arg; break;
                    case 'k': keep = true; break;
                    case 'u': udp = true; break;
                    case 'U': unix = true; break;
                    case 'C': crlf = true; break;
                    case 'z': zero = true; break;
                    case 'v' or 'n' or 'N' or '4' or '6' or 'd' or 'D': break;
                    default: return null; // -e, -x...: no sockcat equivalent to point at.
                }
            }
        }

        var scheme = unix ? "unix" : udp ? "udp" : "tcp";
        var options = (crlf ? " -C" : "") + (keep && listen ? " -k" : "") + (wait is not null && !listen ? $" -w {wait}" : "");
        var unknown = args[0].StartsWith('-') ? $"sockcat has no {(listen ? listenFlag : args[0])}" : $"'{args[0]}' is not a command";
        if (listen)
        {
            var address = unix
                ? positionals.FirstOrDefault(p => p.StartsWith('/'))
                : Address(positionals.FirstOrDefault(p => !IsPort(p)) ?? "0.0.0.0", port ?? positionals.LastOrDefault(IsPort));
            return address is null ? null : $"{unknown}; to listen as nc {listenFlag} does, type: sockcat listen{options} {scheme}://{address}";
        }

        if (zero && !listen && !unix)
        {
            // nc -z HOST PORTS takes ranges (20-25), which a URL cannot hold: probe takes them as nc does.
            return positionals is [var zhost, var zports]
                ? $"{unknown}; to probe ports as nc -z does, type: sockcat probe{(udp ? " -u" : "")}{(wait is not null ? $" -w {wait}" : "")} {zhost} {zports}"
                : null;
        }

        var target = unix
            ? positionals is [var path] && path.StartsWith('/') ? path : null
            : positionals is [var host, var portText] ? Address(host, portText) : null;
        return target is null ? null : $"{unknown}; to connect as nc {(unix ? "-U PATH" : "HOST PORT")} does, type: sockcat connect{options} {scheme}://{target}";
    }

    private static string? Address(string host, string? port) =>
        port is null || !IsPort(port) || host.StartsWith('-') ? null : host.Contains(':') && IPAddress.TryParse(host, out _) ? $"[{host}]:{port}" : $"{host}:{port}";

    private static bool IsPort(string text) => text.Length is > 0 and <= 5 && text.All(char.IsAsciiDigit) && int.Parse(text) <= 65535;
}
