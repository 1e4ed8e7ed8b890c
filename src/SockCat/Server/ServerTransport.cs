namespace SockCat.Server;

/// <summary>Which transport carries a <see cref="SockCatServer"/>'s tcp and unix listeners.</summary>
public enum ServerTransport
{
    /// <summary>The epoll loop where it runs (Linux on x86-64), Kestrel's socket transport elsewhere.</summary>
    Auto,

    /// <summary>The engine's own epoll loop: the fast path. Fails to start where <c>epoll</c> is not available.</summary>
    Epoll,

    /// <summary>Kestrel's socket transport hosting the same protocols; kept for comparison and portability.</summary>
    Kestrel,

    /// <summary>
    /// Kestrel hosting the same protocols over the engine's epoll loop, plugged in as Kestrel's transport
    /// (<c>IConnectionListenerFactory</c>): Kestrel's connection pipeline on our sockets. Linux x86-64 only, as
    /// <see cref="Epoll"/>. tls listeners run this way with <see cref="Epoll"/> too.
    /// </summary>
    KestrelEpoll,
}
