using System.Net.Sockets;
using SockCat.Client;

namespace SockCat.Streams;

/// <summary>
/// Joins an input and an output to a peer's stream, as nc joins stdin and stdout to a socket: the input's bytes go to the
/// peer and the peer's bytes to the output, byte for byte. Each direction ends on its own: the input's end ends sending
/// (and half-closes the peer, which reads end of stream) while the peer's bytes are still received; the peer's end of
/// stream ends receiving while the input is still sent. The bridge ends when both have ended, on the first error, or on
/// one of the limits of <see cref="StreamBridgeOptions"/>, and says which in its <see cref="StreamBridgeResult"/>.
/// </summary>
/// <remarks>
/// Each direction has one buffer of <see cref="StreamBridgeOptions.BufferSize"/> and writes it out before reading
/// again, so a slow side slows the other instead of growing memory. Errors are reported in the result, not thrown.
/// When the bridge ends, a read still pending on the input is cancelled through its token; a stream that ignores
/// cancellation (a console) may finish that read later.
/// </remarks>
public static class StreamBridge
{
    private static readonly StreamBridgeOptions Defaults = new();

    /// <summary>Bridges <paramref name="input"/> and <paramref name="output"/> to a connection made by <see cref="SocketClient"/>; see <see cref="StreamBridge"/>.</summary>
    /// <exception cref="ArgumentException"><paramref name="peer"/> is a udp:// connection, which has no stream to end.</exception>
    public static Task<StreamBridgeResult> RunAsync(
        Stream input, Stream output, ClientConnection peer, StreamBridgeOptions? options, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(peer);
        if (peer.IsDatagram)
        {
            throw new ArgumentException($"{peer.Url} is a datagram connection; a stream bridge needs tcp, unix or tls", nameof(peer));
        }

        return RunAsync(input, output, peer.Stream, peer.ShutdownSendAsync, options, cancellationToken);
    }

    /// <summary>Bridges <paramref name="input"/> and <paramref name="output"/> to a connected stream socket (one accepted by a listener); see <see cref="StreamBridge"/>. The socket is not closed.</summary>
    public static Task<StreamBridgeResult> RunAsync(
        Stream input, Stream output, Socket peer, StreamBridgeOptions? options, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(peer);
        return RunAsync(input, output, new NetworkStream(peer, ownsSocket: false), _ =>
        {
            peer.Shutdown(SocketShutdown.Send);
            return ValueTask.CompletedTask;
        }, options, cancellationToken);
    }

    /// <summary>
    /// Bridges <paramref name="input"/> and <paramref name="output"/> to <paramref name="peer"/>; see <see cref="StreamBridge"/>.
    /// <paramref name="shutdownPeerSend"/> half-closes the peer when the input ends (for a socket, <c>shutdown(SHUT_WR)</c>;
    /// disposing the stream would close both directions).
    /// </summary>
    public static Task<StreamBridgeResult> RunAsync(
        Stream input,
        Stream output,
        Stream peer,
        Func<CancellationToken, ValueTask> shutdownPeerSend,
        StreamBridgeOptions? options = null,
        CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(input);
        ArgumentNullException.ThrowIfNull(output);
        ArgumentNullException.ThrowIfNull(peer);
        ArgumentNullException.ThrowIfNull(shutdownPeerSend);
        options ??= Defaults;
        ArgumentOutOfRangeException.ThrowIfLessThan(options.BufferSize, 1, nameof(options));
        return new BridgeRun(input, output, peer, shutdownPeerSend, options).RunAsync(cancellationToken);
    }
}
