namespace SockCat.Bench;

/// <summary>How the load generator moves the bytes of pingpong and stream runs (conns always uses epoll; stream by default).</summary>
public enum BenchIo
{
    /// <summary>epoll with one recv and one send syscall per message: the fallback, and the design of the C client.</summary>
    Epoll,

    /// <summary>io_uring with registered sockets and multishot receives: one io_uring_enter per loop turn.</summary>
    Uring,

    /// <summary>
    /// .NET's async sockets (<c>Socket</c> and <c>NetworkStream</c>, a reader and a writer per connection on the thread
    /// pool, <see cref="TlsBenchDriver"/>): <see cref="Tls"/> without TLS, to compare the two on one driver.
    /// </summary>
    Async,

    /// <summary>The <see cref="Async"/> driver with an <c>SslStream</c> per connection: what tls:// runs on (a raw loop cannot speak TLS).</summary>
    Tls,
}
