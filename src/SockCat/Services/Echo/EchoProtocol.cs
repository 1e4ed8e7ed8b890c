using SockCat.Server;

namespace SockCat.Services.Echo;

/// <summary>
/// The seed's echo: every byte received is written back. It keeps no state, so one instance serves every
/// connection; when the peer ends its input the connection half-closes after the last echoed byte.
/// </summary>
public sealed class EchoProtocol : IConnectionProtocol
{
    /// <summary>The shared instance.</summary>
    public static EchoProtocol Instance { get; } = new();

    /// <inheritdoc />
    public int OnReceived(IConnection connection, ReadOnlySpan<byte> data)
    {
        connection.Write(data);
        return data.Length;
    }
}
