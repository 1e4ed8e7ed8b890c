using System.Buffers.Binary;
using System.Net;
using BenchmarkDotNet.Attributes;
using SockCat.Server.Access;

namespace SockCat.Benchmarks;

/// <summary>
/// What one <c>--allow</c>/<c>--deny</c> check costs per accepted connection: <see cref="AccessList"/> (rules as
/// <see cref="IPNetwork"/> values) beside the hand-written integer masks it replaced, kept here as the reference, over
/// ten rules (allow and deny, IPv4 and IPv6) and a peer that only the last allow rule of its family admits, so every
/// rule is tried. The check runs once per accepted connection, beside an accept, a socket and an <see cref="IPAddress"/>.
/// </summary>
[MemoryDiagnoser]
public class AccessListBenchmarks
{
    private static readonly string[] Allow = ["10.0.0.0/8", "172.16.0.0/12", "192.168.0.0/16", "100.64.0.0/10", "127.0.0.1", "fe80::/10", "fd00::/8", "2001:db8::/32"];
    private static readonly string[] Deny = ["10.9.0.0/16", "2001:db8:dead::/48"];

    private AccessList _list = null!;
    private Masks _allow = null!;
    private Masks _deny = null!;
    private IPAddress _peer = null!;

    /// <summary>The peer: IPv4, IPv6, and IPv4 as a dual-stack listener sees it (IPv4-mapped IPv6).</summary>
    [Params("127.0.0.1", "2001:db8:1::7", "::ffff:127.0.0.1")]
    public string Peer { get; set; } = "";

    [GlobalSetup]
    public void Setup()
    {
        _list = AccessList.Parse(Allow, Deny);
        _allow = new Masks(Allow);
        _deny = new Masks(Deny);
        _peer = IPAddress.Parse(Peer);
        if (!HandWrittenMasks() || !IPNetworkRules())
        {
            throw new InvalidOperationException($"{Peer} should be allowed by both matchers");
        }
    }

    [Benchmark(Baseline = true)]
    public bool HandWrittenMasks()
    {
        Span<byte> bytes = stackalloc byte[16];
        _peer.TryWriteBytes(bytes, out var length);
        if (length == 4 || _peer.IsIPv4MappedToIPv6)
        {
            var value = BinaryPrimitives.ReadUInt32BigEndian(length == 4 ? bytes : bytes[12..]);
            return !_deny.Match(value) && _allow.Match(value);
        }

        var value6 = BinaryPrimitives.ReadUInt128BigEndian(bytes);
        return !_deny.Match(value6) && _allow.Match(value6);
    }

    [Benchmark]
    public bool IPNetworkRules() => _list.IsAllowed(_peer);

    /// <summary>The matcher AccessList had before it used <see cref="IPNetwork"/>: network and mask as integers.</summary>
    private sealed class Masks
    {
        private readonly (uint Network, uint Mask)[] _v4;
        private readonly (UInt128 Network, UInt128 Mask)[] _v6;

        public Masks(string[] rules)
        {
            var networks = rules.Select(r => IPNetwork.Parse(r.Contains('/') ? r : r + (r.Contains(':') ? "/128" : "/32"))).ToArray();
            _v4 = [.. networks.Where(n => n.PrefixLength <= 32 && n.BaseAddress.GetAddressBytes().Length == 4).Select(n =>
            {
                var mask = n.PrefixLength == 0 ? 0u : uint.MaxValue << (32 - n.PrefixLength);
                return (BinaryPrimitives.ReadUInt32BigEndian(n.BaseAddress.GetAddressBytes()), mask);
            })];
            _v6 = [.. networks.Where(n => n.BaseAddress.GetAddressBytes().Length == 16).Select(n =>
            {
                var mask = n.PrefixLength == 0 ? UInt128.Zero : UInt128.MaxValue << (128 - n.PrefixLength);
                return (BinaryPrimitives.ReadUInt128BigEndian(n.BaseAddress.GetAddressBytes()), mask);
            })];
        }

        public bool Match(uint value)
        {
            foreach (var (network, mask) in _v4)
            {
                if ((value & mask) == network)
                {
                    return true;
                }
            }

            return false;
        }

        public bool Match(UInt128 value)
        {
            foreach (var (network, mask) in _v6)
            {
                if ((value & mask) == network)
                {
                    return true;
                }
            }

            return false;
        }
    }
}
