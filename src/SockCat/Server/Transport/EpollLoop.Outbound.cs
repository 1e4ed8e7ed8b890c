namespace SockCat.Server.Transport;

/// <summary>Outbound connections: a relay's target, connected by the loop itself and driven beside the inbound one.</summary>
internal sealed unsafe partial class EpollLoop
{
    /// <summary>
    /// Takes in the descriptor of a connect under way for <paramref name="inbound"/>'s relay. It is in this loop's table
    /// (events, the idle sweep, the close at exit) but in no registry, and is not counted as a client.
    /// </summary>
    public EpollConnection AddOutbound(EpollConnection inbound, int fd, PeerAddress peer)
    {
        var generation = _nextGeneration++;
        if (_nextGeneration < 2)
        {
            _nextGeneration = 2;
        }

        var connection = new EpollConnection(this, inbound.Binding, fd, generation, inbound.Id, peer, outbound: true);
        if (fd >= _byFd.Length)
        {
            Array.Resize(ref _byFd, Math.Max(_byFd.Length * 2, fd + 1));
        }

        _byFd[fd] = connection;
        return connection;
    }
}
