using System.Net;
using System.Net.Security;
using System.Net.Sockets;
using System.Security.Cryptography.X509Certificates;

namespace SockCat.IntegrationTests.Client;

/// <summary>Small servers the client tests talk to, each on loopback port 0.</summary>
internal static class LoopbackPeers
{
    public static readonly TimeSpan TestTimeout = TimeSpan.FromSeconds(20);

    /// <summary>A port nothing listens on: bound (so it is ours), then released.</summary>
    public static int ReleasedPort()
    {
        using var socket = new Socket(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp);
        socket.Bind(new IPEndPoint(IPAddress.Loopback, 0));
        return ((IPEndPoint)socket.LocalEndPoint!).Port;
    }

    /// <summary>Reads everything until the client half-closes, then answers with <paramref name="reply"/> and closes.</summary>
    public static async Task<byte[]> ReadToEndThenReplyAsync(Stream stream, byte[] reply, CancellationToken cancellationToken)
    {
        var received = new MemoryStream();
        await stream.CopyToAsync(received, cancellationToken);
        await stream.WriteAsync(reply, cancellationToken);
        await stream.FlushAsync(cancellationToken);
        return received.ToArray();
    }

    public static async Task<(TcpListener Listener, Task<SslStream> Accepted)> StartTlsServerAsync(X509Certificate2 certificate, CancellationToken cancellationToken)
    {
        var listener = new TcpListener(IPAddress.Loopback, 0);
        listener.Start();
        var accepted = AcceptTlsAsync(listener, certificate, cancellationToken);
        await Task.Yield();
        return (listener, accepted);
    }

    private static async Task<SslStream> AcceptTlsAsync(TcpListener listener, X509Certificate2 certificate, CancellationToken cancellationToken)
    {
        var client = await listener.AcceptTcpClientAsync(cancellationToken);
        var tls = new SslStream(client.GetStream(), leaveInnerStreamOpen: false);
        await tls.AuthenticateAsServerAsync(new SslServerAuthenticationOptions { ServerCertificate = certificate }, cancellationToken);
        return tls;
    }
}
