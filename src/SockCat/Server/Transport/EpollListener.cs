using System.Net.Sockets;
using SockCat.Endpoints;

namespace SockCat.Server.Transport;

/// <summary>
/// A listening socket the loops share. Every loop registers it with EPOLLEXCLUSIVE, so the kernel wakes one loop
/// (not all) per connection. One socket rather than one SO_REUSEPORT socket per loop because: a second sockcat on the
/// same port fails with "already in use" instead of silently taking half the connections; port 0 means one port; a
/// paused or stopped loop leaves its share of connections to the others instead of stranding them in its own
/// queue; and --single is simply one loop on one socket.
/// </summary>
internal sealed class EpollListener(int index, ListenerBinding binding, Socket socket)
{
    public int Index { get; } = index;

    /// <summary>What the listener's connections speak, and its bound URL.</summary>
    public ListenerBinding Binding { get; } = binding;

    public EndpointUrl Url => Binding.BoundUrl;

    public Socket Socket { get; } = socket;

    public int Fd { get; } = (int)socket.Handle;

    public bool IsUnix { get; } = binding.Url.Scheme == EndpointScheme.Unix;
}
