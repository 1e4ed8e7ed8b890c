using System.Collections.Concurrent;
using System.Net;
using System.Net.Security;
using System.Net.Sockets;
using SockCat.Testing;

namespace SockCat.IntegrationTests.Bench;

/// <summary>
/// A misbehaving TLS echo peer on loopback port 0 for the load generator's tls:// tests: a blocking thread per
/// connection, an <see cref="SslStream"/> with the test certificate. The faults are in the plaintext, under the TLS
/// record layer (a flipped ciphertext byte would only fail the record's MAC): with <c>corruptAt</c> it flips one byte
/// at that position of every connection's stream; with <c>closeAfter</c> it closes every connection once it has
/// echoed that many bytes; with <c>echoUntil</c> it echoes that many bytes and then reads without answering.
/// </summary>
internal sealed class TlsTestEchoServer : IAsyncDisposable
{
    private readonly Socket _listener;
    private readonly Thread _accepting;
    private readonly long _corruptAt;
    private readonly long _closeAfter;
    private readonly long _echoUntil;
    private readonly ConcurrentBag<Socket> _clients = [];
    private readonly ConcurrentBag<Thread> _threads = [];

    public TlsTestEchoServer(long corruptAt = -1, long closeAfter = long.MaxValue, long echoUntil = long.MaxValue)
    {
        _corruptAt = corruptAt;
        _closeAfter = closeAfter;
        _echoUntil = echoUntil;
        _listener = new Socket(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp);
        _listener.Bind(new IPEndPoint(IPAddress.Loopback, 0));
        _listener.Listen(512);
        _accepting = new Thread(Accept, 256 * 1024) { IsBackground = true, Name = "test-tls-echo-accept" };
        _accepting.Start();
    }

    public int Port => ((IPEndPoint)_listener.LocalEndPoint!).Port;

    private void Accept()
    {
        try
        {
            while (true)
            {
                var client = _listener.Accept();
                _clients.Add(client);
                var thread = new Thread(() => Echo(client), 256 * 1024) { IsBackground = true, Name = "test-tls-echo" };
                _threads.Add(thread);
                thread.Start();
            }
        }
        catch (Exception e) when (e is SocketException or ObjectDisposedException)
        {
        }
    }

    private void Echo(Socket client)
    {
        var buffer = new byte[16 * 1024];
        long position = 0;
        try
        {
            using var ssl = new SslStream(new NetworkStream(client, ownsSocket: false));
            ssl.AuthenticateAsServer(new SslServerAuthenticationOptions { ServerCertificate = TestCertificates.Localhost });
            while (true)
            {
                var n = ssl.Read(buffer);
                if (n == 0)
                {
                    break;
                }

                if (_corruptAt >= position && _corruptAt < position + n)
                {
                    buffer[_corruptAt - position] ^= 0x01;
                }

                var echo = (int)Math.Clamp(Math.Min(_closeAfter, _echoUntil) - position, 0, n);
                position += n;
                if (echo > 0)
                {
                    ssl.Write(buffer, 0, echo);
                }

                if (position >= _closeAfter)
                {
                    break;
                }
            }
        }
        catch (Exception e) when (e is IOException or SocketException or ObjectDisposedException or System.Security.Authentication.AuthenticationException)
        {
        }
        finally
        {
            client.Dispose();
        }
    }

    public ValueTask DisposeAsync()
    {
        // Shutdown first: closing a socket does not wake a thread blocked in accept() or recv() on Linux.
        foreach (var socket in _clients.Append(_listener))
        {
            try
            {
                socket.Shutdown(SocketShutdown.Both);
            }
            catch (Exception e) when (e is SocketException or ObjectDisposedException)
            {
            }
        }

        _listener.Dispose();
        foreach (var c in _clients)
        {
            c.Dispose();
        }

        _accepting.Join();
        foreach (var t in _threads)
        {
            t.Join();
        }

        return ValueTask.CompletedTask;
    }
}
