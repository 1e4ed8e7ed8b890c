namespace SockCat.Server.Udp;

/// <summary>
/// What a <see cref="DatagramServer"/> runs for each datagram: a sans-IO handler called on the datagram loop's thread,
/// one datagram at a time, only for peers the access list allows.
/// </summary>
/// <remarks>
/// The call must not block: the next datagram waits for it. The payload is the loop's own buffer, lent for the call;
/// copy what must outlive it. A reply goes to the sender through <see cref="Datagram.Reply"/>.
/// </remarks>
public interface IDatagramProtocol
{
    /// <summary>Handles one datagram from an allowed peer.</summary>
    void OnDatagram(in Datagram datagram);
}
