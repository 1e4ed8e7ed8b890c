using System.Collections.Concurrent;
using System.Net;
using System.Net.Security;
using System.Net.Sockets;
using System.Security.Authentication;
using SockCat.Testing;

namespace SockCat.IntegrationTests.Bench;

/// <summary>
/// A tiny echo server on loopback port 0 for the load generator's tests: a blocking thread per connection. With
/// <c>corruptAt</c> it flips one byte at that position of every connection's stream, so verification must fail; with
/// <c>closeAfter</c> it closes every connection once it has echoed that many bytes; with <c>echoUntil</c> it echoes that
/// many bytes and then reads without answering. With <c>tls</c> it speaks TLS with the test certificate, and the faults
/// are in the plaintext, under the record layer (a flipped ciphertext byte would only fail the record's MAC).
/// </summary>
/// <remarks>
/// Dedicated threads rather than tasks: the test assemblies run side by side on two cores, and a starved thread
/// pool once kept this server silent for a whole half-second measurement window in CI.
/// </remarks>
internal sealed class TestEchoServer : IAsyncDisposable
{
    private readonly Socket _listener;
    private readonly Thread _accepting;
    private readonly long _corruptAt;
    private readonly long _closeAfter;
    private readonly long _echoUntil;
    private readonly bool _tls;
    private readonly ConcurrentBag<Socket> _clients = [];
    private readonly ConcurrentBag<Thread> _threads = [];

    public TestEchoServer(long corruptAt = -1, EndPoint? bindTo = null, long closeAfter = long.MaxValue, long echoUntil = long.MaxValue, bool tls = false)
    {
        _corruptAt = corruptAt;
        _closeAfter = closeAfter;
        _echoUntil = echoUntil;
        _tls = tls;
        bindTo ??= new IPEndPoint(IPAddress.Loopback, 0);
        _listener = new Socket(bindTo.AddressFamily, SocketType.Stream, bindTo is UnixDomainSocketEndPoint ? ProtocolType.Unspecified : ProtocolType.Tcp);
        _listener.Bind(bindTo);
        _listener.Listen(4096);
        _accepting = new Thread(Accept, 256 * 1024) { IsBackground = true, Name = "test-echo-accept" };
        _accepting.Start();
    }

    public int Port => ((IPEndPoint)_listener.LocalEndPoint!).Port;

    public ConcurrentBag<IPAddress> Peers { get; } = [];

    private void Accept()
    {
        try
        {
            while (true)
            {
                var client = _listener.Accept();
                _clients.Add(client);
                if (client.RemoteEndPoint is IPEndPoint ip)
                {
                    Peers.Add(ip.Address);
                }

                var thread = new Thread(() => Echo(client), 256 * 1024) { IsBackground = true, Name = "test-echo" };
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
            using Stream stream = _tls ? new SslStream(new NetworkStream(client, ownsSocket: false)) : new NetworkStream(client, ownsSocket: false);
            if (stream is SslStream ssl)
            {
                ssl.AuthenticateAsServer(new SslServerAuthenticationOptions { ServerCertificate = TestCertificates.Localhost });
            }

            while (true)
            {
                var n = stream.Read(buffer);
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
                stream.Write(buffer.AsSpan(0, echo));
                if (position >= _closeAfter)
                {
                    break;
                }
            }
        }
        catch (Exception e) when (e is IOException or SocketException or ObjectDisposedException or AuthenticationException)
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
