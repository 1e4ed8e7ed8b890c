using System.Net;
using System.Net.Security;
using System.Net.Sockets;
using System.Security.Cryptography.X509Certificates;
using System.Text;

namespace SockCat.Testing;

/// <summary>
/// Loopback servers behind the proxies: each connection greets (when asked, as SMTP does before the client says
/// anything), then echoes until the client's FIN, then half-closes; or, with <c>closeAfterGreeting</c>, closes after the
/// greeting (for clients that only read). Over TLS when given a certificate.
/// </summary>
public sealed class ProxyTarget : IAsyncDisposable
{
    private readonly TcpListener _listener = new(IPAddress.Loopback, 0);
    private readonly CancellationTokenSource _stop = new();
    private readonly Task _accepting;

    private readonly bool _closeAfterGreeting;

    public ProxyTarget(string? greeting = null, X509Certificate2? certificate = null, bool closeAfterGreeting = false)
    {
        _closeAfterGreeting = closeAfterGreeting;
        _listener.Start();
        _accepting = AcceptAsync(greeting is null ? null : Encoding.ASCII.GetBytes(greeting), certificate);
    }

    public int Port => ((IPEndPoint)_listener.LocalEndpoint).Port;

    private async Task AcceptAsync(byte[]? greeting, X509Certificate2? certificate)
    {
        try
        {
            while (true)
            {
                var client = await _listener.AcceptTcpClientAsync(_stop.Token);
                _ = ServeAsync(client, greeting, certificate);
            }
        }
        catch (Exception e) when (e is OperationCanceledException or ObjectDisposedException or SocketException or InvalidOperationException)
        {
            // Stopped: the listener may be closed before or while the accept is pending.
        }
    }

    private async Task ServeAsync(TcpClient client, byte[]? greeting, X509Certificate2? certificate)
    {
        using (client)
        {
            try
            {
                Stream stream = client.GetStream();
                if (certificate is not null)
                {
                    var tls = new SslStream(stream);
                    await tls.AuthenticateAsServerAsync(new SslServerAuthenticationOptions { ServerCertificate = certificate }, _stop.Token);
                    stream = tls;
                }

                if (greeting is not null)
                {
                    await stream.WriteAsync(greeting, _stop.Token);
                }

                if (!_closeAfterGreeting)
                {
                    await stream.CopyToAsync(stream, _stop.Token);
                }

                if (stream is SslStream ssl)
                {
                    await ssl.ShutdownAsync();
                }

                client.Client.Shutdown(SocketShutdown.Send);
                // Wait for the peer (or the proxy) to close before closing: a close with bytes unread would reset.
                var rest = new byte[1];
                while (await client.Client.ReceiveAsync(rest, SocketFlags.None, _stop.Token) > 0)
                {
                }
            }
            catch (Exception e) when (e is IOException or SocketException or OperationCanceledException or System.Security.Authentication.AuthenticationException)
            {
                // The proxy cut the connection; the test sees what the client saw.
            }
        }
    }

    public async ValueTask DisposeAsync()
    {
        _stop.Cancel();
        _listener.Stop();
        await _accepting;
        _stop.Dispose();
    }
}
