using SockCat.Server.Udp;

namespace SockCat.Services.Echo;

/// <summary><c>serve echo udp://</c>: every datagram goes back to its sender unchanged, as one datagram.</summary>
public sealed class EchoDatagramProtocol : IDatagramProtocol
{
    private EchoDatagramProtocol()
    {
    }

    /// <summary>The one instance: the protocol holds no state.</summary>
    public static EchoDatagramProtocol Instance { get; } = new();

    /// <inheritdoc />
    public void OnDatagram(in Datagram datagram) => datagram.Reply(datagram.Payload);
}
