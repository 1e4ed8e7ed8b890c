namespace SockCat.Bench;

/// <summary>What a load-generator run measures.</summary>
public enum BenchMode
{
    /// <summary>Each connection sends a message and waits for its echo (up to a window in flight): msgs/s and latency.</summary>
    PingPong,

    /// <summary>Each connection keeps a fixed number of bytes in flight: echoed MB/s.</summary>
    Stream,

    /// <summary>Opens many connections, holds them, checks each still echoes: connect time, failures, server memory.</summary>
    Conns,

    /// <summary>For brokers: every connection sends lines that must reach every other connection; deliveries/s and latency.</summary>
    Broadcast,

    /// <summary>For chat servers: connections spread over rooms send lines that must reach every other member of their room; deliveries/s and latency.</summary>
    Chat,
}
