using System.Net;
using SockCat.Server.Access;

namespace SockCat.UnitTests.Server.Access;

public class AccessListTests
{
    [Theory]
    // No rules: everything is allowed.
    [InlineData("", "", "127.0.0.1", true)]
    [InlineData("", "", "::1", true)]
    // Allow list only: what matches is allowed, the rest refused.
    [InlineData("127.0.0.1", "", "127.0.0.1", true)]
    [InlineData("127.0.0.1", "", "127.0.0.2", false)]
    [InlineData("127.0.0.1", "", "::1", false)]
    [InlineData("10.0.0.0/8", "", "10.255.1.2", true)]
    [InlineData("10.0.0.0/8", "", "11.0.0.0", false)]
    [InlineData("10.0.0.0/8", "", "9.255.255.255", false)]
    [InlineData("192.168.1.0/24", "", "192.168.1.255", true)]
    [InlineData("192.168.1.0/24", "", "192.168.2.0", false)]
    [InlineData("0.0.0.0/0", "", "203.0.113.9", true)]
    [InlineData("0.0.0.0/0", "", "::1", false)]
    [InlineData("10.1.2.3/8", "", "10.200.0.1", true)]
    [InlineData("127.0.0.1/32", "", "127.0.0.1", true)]
    [InlineData("127.0.0.1/32", "", "127.0.0.0", false)]
    [InlineData("::1", "", "::1", true)]
    [InlineData("::1", "", "::2", false)]
    [InlineData("::1", "", "127.0.0.1", false)]
    [InlineData("fe80::/10", "", "fe80::1", true)]
    [InlineData("fe80::/10", "", "febf:ffff::1", true)]
    [InlineData("fe80::/10", "", "fec0::1", false)]
    [InlineData("fe80::/10", "", "fe80::1%2", true)]
    [InlineData("2001:db8::/32", "", "2001:db8:ffff::1", true)]
    [InlineData("2001:db8::/32", "", "2001:db9::1", false)]
    [InlineData("::/0", "", "2001:db8::1", true)]
    [InlineData("2001:db8::1/128", "", "2001:db8::1", true)]
    [InlineData("2001:db8::1/128", "", "2001:db8::2", false)]
    // IPv4-mapped IPv6 peers (a dual-stack listener's view of IPv4 clients) match IPv4 rules.
    [InlineData("127.0.0.1", "", "::ffff:127.0.0.1", true)]
    [InlineData("10.0.0.0/8", "", "::ffff:10.9.8.7", true)]
    [InlineData("10.0.0.0/8", "", "::ffff:11.9.8.7", false)]
    [InlineData("", "127.0.0.1", "::ffff:127.0.0.1", false)]
    // ... and mapped rules match plain IPv4 peers.
    [InlineData("::ffff:10.0.0.0/104", "", "10.1.2.3", true)]
    [InlineData("::ffff:10.0.0.0/104", "", "11.1.2.3", false)]
    // Deny list only: what matches is refused, the rest allowed.
    [InlineData("", "10.0.0.0/8", "10.1.1.1", false)]
    [InlineData("", "10.0.0.0/8", "127.0.0.1", true)]
    [InlineData("", "::1", "::1", false)]
    [InlineData("", "::1", "127.0.0.1", true)]
    [InlineData("", "0.0.0.0/0", "::1", true)]
    // Both: deny wins.
    [InlineData("127.0.0.0/8", "127.0.0.2", "127.0.0.2", false)]
    [InlineData("127.0.0.0/8", "127.0.0.2", "127.0.0.3", true)]
    [InlineData("127.0.0.1", "127.0.0.1", "127.0.0.1", false)]
    [InlineData("::/0", "fe80::/10", "fe80::5", false)]
    [InlineData("::/0", "fe80::/10", "::1", true)]
    // Several entries, comma-separated, with spaces.
    [InlineData("127.0.0.1, ::1", "", "::1", true)]
    [InlineData("127.0.0.1, ::1", "", "127.0.0.1", true)]
    [InlineData("127.0.0.1, ::1", "", "10.0.0.1", false)]
    public void IsAllowed_RulesAndPeer_GivesDecision(string allow, string deny, string peer, bool expected)
    {
        var list = AccessList.Parse(Split(allow), Split(deny));

        Assert.Equal(expected, list.IsAllowed(IPAddress.Parse(peer)));
    }

    [Fact]
    public void Parse_SeveralValues_CombinesThem()
    {
        var list = AccessList.Parse(["127.0.0.1", "10.0.0.0/8"], ["10.0.0.5"]);

        Assert.True(list.IsAllowed(IPAddress.Parse("127.0.0.1")));
        Assert.True(list.IsAllowed(IPAddress.Parse("10.0.0.4")));
        Assert.False(list.IsAllowed(IPAddress.Parse("10.0.0.5")));
        Assert.False(list.IsAllowed(IPAddress.Parse("192.0.2.1")));
    }

    [Fact]
    public void Parse_NoValues_HasNoRules()
    {
        Assert.False(AccessList.Parse(null, null).HasRules);
        Assert.False(AccessList.Parse([], []).HasRules);
        Assert.True(AccessList.Parse(null, ["::1"]).HasRules);
        Assert.False(AccessList.Parse(null, ["::1"]).HasAllowRules);
        Assert.True(AccessList.Parse(["::1"], null).HasAllowRules);
    }

    [Theory]
    [InlineData("10.0.0.0/33", "the prefix length is over 32")]
    [InlineData("::1/129", "the prefix length is over 128")]
    [InlineData("10.0.0.0/99999999999", "the prefix length is over 32")]
    [InlineData("10.0.0.0/", "the prefix length '' is not a number from 0 to 32")]
    [InlineData("10.0.0.0/-1", "the prefix length '-1' is not a number from 0 to 32")]
    [InlineData("10.0.0.0/x", "the prefix length 'x' is not a number from 0 to 32")]
    [InlineData("fe80::/ten", "the prefix length 'ten' is not a number from 0 to 128")]
    [InlineData("localhost", "'localhost' is not an IP address (host names are not accepted)")]
    [InlineData("10.0.0.256", "'10.0.0.256' is not an IP address")]
    [InlineData("10", "'10' is not an IP address")]
    [InlineData("10.1/16", "'10.1' is not an IP address")]
    [InlineData("0x7f.0.0.1", "'0x7f.0.0.1' is not an IP address")]
    [InlineData("/8", "'' is not an IP address")]
    [InlineData("1.2.3.4/8/8", "the prefix length '8/8' is not a number")]
    public void Parse_BadEntry_NamesEntryAndShowsExample(string entry, string problem)
    {
        var ex = Assert.Throws<AccessListFormatException>(() => AccessList.Parse([entry], null));

        Assert.Equal(entry, ex.Entry);
        Assert.StartsWith($"'{entry}' is not a valid address or CIDR range: ", ex.Message);
        Assert.Contains(problem, ex.Message);
        Assert.EndsWith("; e.g. 10.0.0.0/8 or ::1", ex.Message);
        Assert.DoesNotContain('\n', ex.Message);
    }

    [Fact]
    public void Parse_BadEntryInDenyList_Throws()
    {
        var ex = Assert.Throws<AccessListFormatException>(() => AccessList.Parse(["127.0.0.1"], ["127.0.0.1", "10.0.0.0/33"]));

        Assert.Equal("'10.0.0.0/33' is not a valid address or CIDR range: the prefix length is over 32; e.g. 10.0.0.0/8 or ::1", ex.Message);
    }

    [Theory]
    [InlineData("")]
    [InlineData("  ")]
    [InlineData(",")]
    public void Parse_EmptyValue_Throws(string value)
    {
        var ex = Assert.Throws<AccessListFormatException>(() => AccessList.Parse([value], null));

        Assert.Contains("it is empty", ex.Message);
    }

    [Fact]
    public void IsAllowed_ManyCalls_DoesNotAllocate()
    {
        var list = AccessList.Parse(["10.0.0.0/8", "fe80::/10", "::ffff:192.168.0.0/112"], ["10.0.0.5", "fe80::5"]);
        IPAddress[] peers = [IPAddress.Parse("10.1.2.3"), IPAddress.Parse("fe80::1"), IPAddress.Parse("::ffff:10.0.0.5"), IPAddress.Parse("2001:db8::1"), IPAddress.Loopback];
        var allowed = 0;
        foreach (var peer in peers)
        {
            allowed += list.IsAllowed(peer) ? 1 : 0; // warm up (JIT) before measuring
        }

        var before = GC.GetAllocatedBytesForCurrentThread();
        for (var i = 0; i < 10_000; i++)
        {
            allowed += list.IsAllowed(peers[i % peers.Length]) ? 1 : 0;
        }

        var allocated = GC.GetAllocatedBytesForCurrentThread() - before;

        Assert.Equal(0, allocated);
        Assert.Equal(2 + 2 * 10_000 / peers.Length, allowed);
    }

    private static string[] Split(string rules) => rules.Length == 0 ? [] : [rules];
}
