using System.Buffers;
using SockCat.Endpoints;

namespace SockCat.Client.Proxy;

/// <summary>
/// Opens a tunnel through a proxy on a stream already connected to it: runs the proxy's handshake for the target, after
/// which the stream carries the target's bytes. <see cref="SocketClient.ConnectAsync"/> does this itself when
/// <see cref="ConnectOptions.Proxy"/> is set; this is for a stream made some other way (a load generator's own sockets).
/// </summary>
public static class ProxyTunnel
{
    /// <summary>
    /// Asks the proxy at the other end of <paramref name="stream"/> to connect to <paramref name="target"/>'s host and port
    /// (the proxy resolves a host name). Reads no byte past the proxy's answer, so a target that speaks first loses nothing.
    /// </summary>
    /// <exception cref="ConnectException">
    /// The proxy refused: <see cref="ConnectFailure.ProxyAuthentication"/> (credentials required or refused),
    /// <see cref="ConnectFailure.ProxyTarget"/> (it could not or would not reach the target), or
    /// <see cref="ConnectFailure.ProxyProtocol"/> (it answered something else, or closed the connection).
    /// </exception>
    /// <exception cref="ArgumentException">The target cannot be asked for through this kind of proxy (an IPv6 address through SOCKS4a).</exception>
    public static async Task NegotiateAsync(Stream stream, ProxyUrl proxy, EndpointUrl target, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(stream);
        ArgumentNullException.ThrowIfNull(proxy);
        ArgumentNullException.ThrowIfNull(target);
        await NegotiateAsync(stream, ProxyNegotiator.Create(proxy, target), target, cancellationToken).ConfigureAwait(false);
    }

    /// <summary>Runs <paramref name="negotiator"/> over <paramref name="stream"/>: the caller keeps it, to word a timeout by where it stopped.</summary>
    internal static async Task NegotiateAsync(Stream stream, ProxyNegotiator negotiator, EndpointUrl target, CancellationToken cancellationToken)
    {
        var output = new ArrayBufferWriter<byte>(256);
        var buffer = new byte[512];
        negotiator.Start(output);
        while (true)
        {
            if (output.WrittenCount > 0)
            {
                await stream.WriteAsync(output.WrittenMemory, cancellationToken).ConfigureAwait(false);
                await stream.FlushAsync(cancellationToken).ConfigureAwait(false);
                output.ResetWrittenCount();
            }

            if (negotiator.IsOpen)
            {
                return;
            }

            int read;
            try
            {
                read = await stream.ReadAsync(buffer.AsMemory(0, Math.Min(buffer.Length, negotiator.Wanted)), cancellationToken).ConfigureAwait(false);
            }
            catch (IOException ex) when (!cancellationToken.IsCancellationRequested)
            {
                throw new ConnectException(target, ConnectFailure.ProxyProtocol, 104, "ECONNRESET", negotiator.Closed(reset: true).Message, negotiator.Closed().Hint, ex);
            }

            if (read == 0)
            {
                throw negotiator.Closed();
            }

            negotiator.Receive(buffer.AsSpan(0, read), output);
        }
    }
}
