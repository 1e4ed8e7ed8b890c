namespace SockCat.Bench;

/// <summary>How the load generator's threads move the bytes of pingpong and stream runs (conns always uses epoll; stream by default).</summary>
internal enum BenchIo
{
    /// <summary>epoll with one recv and one send syscall per message: the fallback, and the design of the C client.</summary>
    Epoll,

    /// <summary>io_uring with registered sockets and multishot receives: one io_uring_enter per loop turn.</summary>
    Uring,
}
