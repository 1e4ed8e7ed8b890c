using System.Buffers.Binary;
using System.Globalization;
using System.Net;
using System.Net.Sockets;

namespace SockCat.Server.Access;

/// <summary>
/// The <c>--allow</c> / <c>--deny</c> rules: IP addresses and CIDR ranges, IPv4 and IPv6. A peer is refused when a
/// deny rule matches it (deny wins over allow), or when there are allow rules and none matches it; with no allow
/// rules, everything not denied is allowed. An IPv4-mapped IPv6 peer (<c>::ffff:127.0.0.1</c>, as a dual-stack
/// listener sees IPv4 clients) is matched as the IPv4 address it carries.
/// </summary>
/// <remarks>
/// <see cref="IsAllowed"/> runs once per accepted connection, so it does not allocate: masks are computed when the
/// list is parsed and the peer's bytes are read into a stack buffer. Rules are scanned in order; lists of a few
/// hundred entries cost well under a microsecond.
/// </remarks>
public sealed class AccessList
{
    private const string Example = "e.g. 10.0.0.0/8 or ::1";

    private readonly V4Rule[] _allow4;
    private readonly V6Rule[] _allow6;
    private readonly V4Rule[] _deny4;
    private readonly V6Rule[] _deny6;

    private AccessList(List<V4Rule> allow4, List<V6Rule> allow6, List<V4Rule> deny4, List<V6Rule> deny6)
    {
        _allow4 = [.. allow4];
        _allow6 = [.. allow6];
        _deny4 = [.. deny4];
        _deny6 = [.. deny6];
    }

    /// <summary>A list with no rules: every peer is allowed.</summary>
    public static AccessList AllowAll { get; } = new([], [], [], []);

    /// <summary>True when there is at least one allow or deny rule (the engine can skip the check otherwise).</summary>
    public bool HasRules => _allow4.Length + _allow6.Length + _deny4.Length + _deny6.Length > 0;

    /// <summary>True when there are allow rules, so a peer that matches none of them is refused.</summary>
    public bool HasAllowRules => _allow4.Length + _allow6.Length > 0;

    /// <summary>
    /// Parses the values of <c>--allow</c> and <c>--deny</c>. Each value is one entry or several separated by commas
    /// (<c>127.0.0.1,10.0.0.0/8</c>); an entry is an address (<c>::1</c>) or an address with a prefix length
    /// (<c>fe80::/10</c>). Bits past the prefix are ignored, as iptables does: <c>10.1.2.3/8</c> means <c>10.0.0.0/8</c>.
    /// </summary>
    /// <exception cref="AccessListFormatException">An entry is not valid; the message names it and shows an example.</exception>
    public static AccessList Parse(IEnumerable<string>? allow, IEnumerable<string>? deny)
    {
        List<V4Rule> allow4 = [], deny4 = [];
        List<V6Rule> allow6 = [], deny6 = [];
        AddAll(allow, allow4, allow6);
        AddAll(deny, deny4, deny6);
        return allow4.Count + allow6.Count + deny4.Count + deny6.Count == 0 ? AllowAll : new(allow4, allow6, deny4, deny6);
    }

    /// <summary>Whether a peer at <paramref name="address"/> may connect. Does not allocate.</summary>
    public bool IsAllowed(IPAddress address)
    {
        Span<byte> bytes = stackalloc byte[16];
        if (!address.TryWriteBytes(bytes, out var length))
        {
            return false;
        }

        if (length == 4 || IsV4Mapped(bytes))
        {
            var value = BinaryPrimitives.ReadUInt32BigEndian(length == 4 ? bytes : bytes[12..]);
            return !Matches(_deny4, value) && (!HasAllowRules || Matches(_allow4, value));
        }

        var value6 = BinaryPrimitives.ReadUInt128BigEndian(bytes);
        return !Matches(_deny6, value6) && (!HasAllowRules || Matches(_allow6, value6));
    }

    private static bool Matches(V4Rule[] rules, uint value)
    {
        foreach (var rule in rules)
        {
            if ((value & rule.Mask) == rule.Network)
            {
                return true;
            }
        }

        return false;
    }

    private static bool Matches(V6Rule[] rules, UInt128 value)
    {
        foreach (var rule in rules)
        {
            if ((value & rule.Mask) == rule.Network)
            {
                return true;
            }
        }

        return false;
    }

    private static bool IsV4Mapped(ReadOnlySpan<byte> bytes16) =>
        bytes16[..10].IndexOfAnyExcept((byte)0) < 0 && bytes16[10] == 0xff && bytes16[11] == 0xff;

    private static void AddAll(IEnumerable<string>? values, List<V4Rule> rules4, List<V6Rule> rules6)
    {
        if (values is null)
        {
            return;
        }

        foreach (var value in values)
        {
            var entries = (value ?? "").Split(',', StringSplitOptions.TrimEntries | StringSplitOptions.RemoveEmptyEntries);
            if (entries.Length == 0)
            {
                throw new AccessListFormatException(value ?? "", $"'{value}' is not a valid address or CIDR range: it is empty; {Example}");
            }

            foreach (var entry in entries)
            {
                AddEntry(entry, rules4, rules6);
            }
        }
    }

    private static void AddEntry(string entry, List<V4Rule> rules4, List<V6Rule> rules6)
    {
        var slash = entry.IndexOf('/');
        var addressText = slash < 0 ? entry : entry[..slash];
        if (!IPAddress.TryParse(addressText, out var address) || !LooksLikeAddress(addressText, address))
        {
            throw Fail(entry, $"'{addressText}' is not an IP address (host names are not accepted)");
        }

        Span<byte> bytes = stackalloc byte[16];
        address.TryWriteBytes(bytes, out var length);
        var bits = length * 8;

        var prefix = bits;
        if (slash >= 0)
        {
            var prefixText = entry[(slash + 1)..];
            if (prefixText.Length == 0 || !prefixText.All(char.IsAsciiDigit))
            {
                throw Fail(entry, $"the prefix length '{prefixText}' is not a number from 0 to {bits}");
            }

            if (!int.TryParse(prefixText, NumberStyles.None, CultureInfo.InvariantCulture, out prefix) || prefix > bits)
            {
                throw Fail(entry, $"the prefix length is over {bits}");
            }
        }

        if (address.AddressFamily == AddressFamily.InterNetworkV6 && IsV4Mapped(bytes) && prefix >= 96)
        {
            // ::ffff:10.0.0.0/104 names IPv4 peers; keeping it as an IPv4 rule lets it match plain IPv4 peers too.
            AddV4(BinaryPrimitives.ReadUInt32BigEndian(bytes[12..]), prefix - 96, rules4);
        }
        else if (length == 4)
        {
            AddV4(BinaryPrimitives.ReadUInt32BigEndian(bytes), prefix, rules4);
        }
        else
        {
            var mask = prefix == 0 ? UInt128.Zero : UInt128.MaxValue << (128 - prefix);
            rules6.Add(new V6Rule(BinaryPrimitives.ReadUInt128BigEndian(bytes) & mask, mask));
        }
    }

    private static void AddV4(uint value, int prefix, List<V4Rule> rules4)
    {
        var mask = prefix == 0 ? 0u : uint.MaxValue << (32 - prefix);
        rules4.Add(new V4Rule(value & mask, mask));
    }

    // IPAddress.TryParse takes "10" as 0.0.0.10 and "10.1" as 10.0.0.1 (inet_aton forms); in an access rule these
    // are almost surely typos for a range, so only dotted quads and IPv6 literals are accepted.
    private static bool LooksLikeAddress(string text, IPAddress address) =>
        address.AddressFamily == AddressFamily.InterNetworkV6 ? text.Contains(':') : text.Count(c => c == '.') == 3 && text.All(c => char.IsAsciiDigit(c) || c == '.');

    private static AccessListFormatException Fail(string entry, string why) =>
        new(entry, $"'{entry}' is not a valid address or CIDR range: {why}; {Example}");

    private readonly record struct V4Rule(uint Network, uint Mask);

    private readonly record struct V6Rule(UInt128 Network, UInt128 Mask);
}
