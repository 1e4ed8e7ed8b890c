using System.IO.Pipelines;
using System.Net;
using System.Net.Security;
using System.Net.Sockets;
using System.Security.Authentication;
using System.Security.Cryptography.X509Certificates;
using SockCat.Endpoints;

namespace SockCat.Client;

/// <summary>
/// An open client connection made by <see cref="SocketClient.ConnectAsync"/>: a <see cref="Stream"/> (or the same bytes
/// as an <see cref="IDuplexPipe"/>), the addresses of both ends, and an explicit half-close. For udp:// it is a
/// connected datagram socket: use <see cref="SendDatagramAsync"/> and <see cref="ReceiveDatagramAsync"/>.
/// Dispose it to close the connection.
/// </summary>
public sealed class ClientConnection : IAsyncDisposable, IDisposable
{
    private readonly SslStream? _tls;
    private IDuplexPipe? _pipe;
    private int _disposed;

    internal ClientConnection(EndpointUrl url, Socket socket, Stream stream, SslStream? tls)
    {
        Url = url;
        Socket = socket;
        Stream = stream;
        _tls = tls;
        // Kept from the start: once the connection has closed, the system no longer answers getpeername.
        LocalEndPoint = socket.LocalEndPoint;
        RemoteEndPoint = socket.RemoteEndPoint;
    }

    /// <summary>The endpoint this connection was made to.</summary>
    public EndpointUrl Url { get; }

    /// <summary>True for udp://: each write is one datagram and each read returns one.</summary>
    public bool IsDatagram => Url.Scheme == EndpointScheme.Udp;

    /// <summary>
    /// The connection's bytes: a <see cref="NetworkStream"/> for tcp and unix, an <see cref="SslStream"/> for tls; for udp a
    /// stream whose every write sends one datagram and every read returns one. Disposing it closes the connection.
    /// </summary>
    public Stream Stream { get; }

    /// <summary>
    /// The same bytes as <see cref="Stream"/> as a pipe pair, created on first use. Completing <see cref="IDuplexPipe.Output"/>
    /// does not close or half-close the connection: call <see cref="ShutdownSendAsync"/> for that, and dispose the connection to close it.
    /// Not available for udp://, where a pipe would merge datagrams.
    /// </summary>
    /// <exception cref="InvalidOperationException">The connection is udp://.</exception>
    public IDuplexPipe Pipe => _pipe ??= IsDatagram
        ? throw new InvalidOperationException("a udp:// connection has no pipe, which would merge datagrams; use SendDatagramAsync and ReceiveDatagramAsync")
        : new StreamDuplexPipe(Stream);

    /// <summary>The underlying socket, for options this type does not cover. Reading or writing it directly bypasses TLS.</summary>
    public Socket Socket { get; }

    /// <summary>This end's address: an <see cref="IPEndPoint"/>, or a <see cref="UnixDomainSocketEndPoint"/> (often unnamed) for unix.</summary>
    public EndPoint? LocalEndPoint { get; }

    /// <summary>The server's address: the <see cref="IPEndPoint"/> that answered (one of the name's addresses), or the unix socket's path.</summary>
    public EndPoint? RemoteEndPoint { get; }

    /// <summary>For tls://, the certificate the server presented; null otherwise.</summary>
    public X509Certificate2? RemoteCertificate => _tls?.RemoteCertificate as X509Certificate2;

    /// <summary>For tls://, the protocol version agreed (TLS 1.2 or 1.3); null otherwise.</summary>
    public SslProtocols? TlsProtocol => _tls?.SslProtocol;

    /// <summary>
    /// Half-closes: tells the server that nothing more will be sent (it reads end of stream) while its reply can still
    /// be read. For tls:// it first sends TLS close_notify, then shuts down the socket's send side. Flush or complete
    /// the pipe's output first if you wrote through <see cref="Pipe"/>. Has no effect on a udp:// connection, which has no stream to end.
    /// </summary>
    public async ValueTask ShutdownSendAsync(CancellationToken cancellationToken = default)
    {
        if (IsDatagram)
        {
            return;
        }

        if (_tls is not null)
        {
            await _tls.ShutdownAsync().WaitAsync(cancellationToken).ConfigureAwait(false);
        }

        Socket.Shutdown(SocketShutdown.Send);
    }

    /// <summary>Sends <paramref name="datagram"/> as one datagram on a udp:// connection.</summary>
    /// <exception cref="InvalidOperationException">The connection is not udp://.</exception>
    public async ValueTask SendDatagramAsync(ReadOnlyMemory<byte> datagram, CancellationToken cancellationToken = default)
    {
        EnsureDatagram();
        await Socket.SendAsync(datagram, SocketFlags.None, cancellationToken).ConfigureAwait(false);
    }

    /// <summary>
    /// Receives one datagram from the server into <paramref name="buffer"/> and returns its length; a datagram longer than the
    /// buffer is cut (65,507 bytes holds any UDP datagram). A server that is not listening shows here as a
    /// <see cref="SocketException"/> with <see cref="SocketError.ConnectionRefused"/> (the system's ICMP "port unreachable").
    /// </summary>
    /// <exception cref="InvalidOperationException">The connection is not udp://.</exception>
    public ValueTask<int> ReceiveDatagramAsync(Memory<byte> buffer, CancellationToken cancellationToken = default)
    {
        EnsureDatagram();
        return Socket.ReceiveAsync(buffer, SocketFlags.None, cancellationToken);
    }

    /// <summary>Closes the connection at once; for tls:// no close_notify is sent (call <see cref="ShutdownSendAsync"/> first for a clean end).</summary>
    public void Dispose()
    {
        if (Interlocked.Exchange(ref _disposed, 1) != 0)
        {
            return;
        }

        Stream.Dispose();
        Socket.Dispose();
    }

    /// <summary>Closes the connection; see <see cref="Dispose"/>.</summary>
    public async ValueTask DisposeAsync()
    {
        if (Interlocked.Exchange(ref _disposed, 1) != 0)
        {
            return;
        }

        await Stream.DisposeAsync().ConfigureAwait(false);
        Socket.Dispose();
    }

    private void EnsureDatagram()
    {
        if (!IsDatagram)
        {
            throw new InvalidOperationException($"{Url} is a stream connection; datagrams are for udp://. Use Stream or Pipe.");
        }
    }

    private sealed class StreamDuplexPipe(Stream stream) : IDuplexPipe
    {
        public PipeReader Input { get; } = PipeReader.Create(stream, new StreamPipeReaderOptions(leaveOpen: true));

        public PipeWriter Output { get; } = PipeWriter.Create(stream, new StreamPipeWriterOptions(leaveOpen: true));
    }
}
