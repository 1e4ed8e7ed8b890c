using Xunit;

namespace SockCat.Testing;

/// <summary>The transports every engine test runs over (STYLE.md habit 9: a bug fixed for one is proven for all).</summary>
public enum TestTransport
{
    EpollTcp,
    EpollUnix,
    KestrelTcp,
    KestrelUnix,
    KestrelTls,
    KestrelEpollTcp,
    KestrelEpollUnix,

    /// <summary>tls:// with the default transport (epoll): Kestrel's TLS pipeline over the engine's loop, which can half-close.</summary>
    EpollTls,
}

/// <summary>xunit member data: the transport matrix.</summary>
public static class TransportMatrix
{
    public static TheoryData<TestTransport> All => [.. Enum.GetValues<TestTransport>()];

    /// <summary>Transports whose peers have IP addresses (for accept filters).</summary>
    public static TheoryData<TestTransport> Ip => [TestTransport.EpollTcp, TestTransport.KestrelTcp, TestTransport.KestrelTls, TestTransport.KestrelEpollTcp, TestTransport.EpollTls];

    /// <summary>Plain-text transports (under --single a waiting TLS client cannot even finish its handshake).</summary>
    public static TheoryData<TestTransport> Plain => [TestTransport.EpollTcp, TestTransport.EpollUnix, TestTransport.KestrelTcp, TestTransport.KestrelUnix, TestTransport.KestrelEpollTcp, TestTransport.KestrelEpollUnix];
}
