using System.Net;
using System.Net.Sockets;

namespace SockCat.Testing;

/// <summary>Loopback ports for tests that need one nothing listens on, or one to hand a peer that cannot report its own.</summary>
public static class LoopbackPorts
{
    /// <summary>
    /// A 127.0.0.1 port the system just chose and released: nothing listens there (a connect is refused), and a peer
    /// told to bind it will almost always get it (a tiny race, which fails loudly if lost).
    /// </summary>
    public static int Unused(SocketType type = SocketType.Stream)
    {
        using var probe = new Socket(AddressFamily.InterNetwork, type, type == SocketType.Dgram ? ProtocolType.Udp : ProtocolType.Tcp);
        probe.Bind(new IPEndPoint(IPAddress.Loopback, 0));
        return ((IPEndPoint)probe.LocalEndPoint!).Port;
    }
}
