using System.Collections.Concurrent;
using System.Net;
using System.Net.Sockets;

namespace SockCat.IntegrationTests.Bench;

/// <summary>
/// A tiny echo server on loopback port 0 for the load generator's tests: a task per connection. With
/// <c>corruptAt</c> it flips one byte at that position of every connection's stream, so verification must fail.
/// </summary>
internal sealed class TestEchoServer : IAsyncDisposable
{
    private readonly Socket _listener;
    private readonly CancellationTokenSource _stop = new();
    private readonly Task _accepting;
    private readonly long _corruptAt;
    private readonly ConcurrentBag<Socket> _clients = [];

    public TestEchoServer(long corruptAt = -1, EndPoint? bindTo = null)
    {
        _corruptAt = corruptAt;
        bindTo ??= new IPEndPoint(IPAddress.Loopback, 0);
        _listener = new Socket(bindTo.AddressFamily, SocketType.Stream, bindTo is UnixDomainSocketEndPoint ? ProtocolType.Unspecified : ProtocolType.Tcp);
        _listener.Bind(bindTo);
        _listener.Listen(4096);
        _accepting = AcceptAsync();
    }

    public int Port => ((IPEndPoint)_listener.LocalEndPoint!).Port;

    public ConcurrentBag<IPAddress> Peers { get; } = [];

    private async Task AcceptAsync()
    {
        try
        {
            while (true)
            {
                var client = await _listener.AcceptAsync(_stop.Token);
                _clients.Add(client);
                if (client.RemoteEndPoint is IPEndPoint ip)
                {
                    Peers.Add(ip.Address);
                }

                _ = EchoAsync(client);
            }
        }
        catch (Exception e) when (e is OperationCanceledException or SocketException or ObjectDisposedException)
        {
        }
    }

    private async Task EchoAsync(Socket client)
    {
        var buffer = new byte[16 * 1024];
        long position = 0;
        try
        {
            while (true)
            {
                var n = await client.ReceiveAsync(buffer, SocketFlags.None, _stop.Token);
                if (n == 0)
                {
                    break;
                }

                if (_corruptAt >= position && _corruptAt < position + n)
                {
                    buffer[_corruptAt - position] ^= 0x01;
                }

                position += n;
                await client.SendAsync(buffer.AsMemory(0, n), SocketFlags.None, _stop.Token);
            }
        }
        catch (Exception e) when (e is OperationCanceledException or SocketException or ObjectDisposedException)
        {
        }
        finally
        {
            client.Dispose();
        }
    }

    public async ValueTask DisposeAsync()
    {
        _stop.Cancel();
        _listener.Dispose();
        foreach (var c in _clients)
        {
            c.Dispose();
        }

        await _accepting;
    }
}
