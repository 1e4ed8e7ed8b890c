using System.Buffers;
using System.Net;
using System.Net.Sockets;

// An echo server as a careful developer writes one with System.Net.Sockets and no framework: an accept loop,
// a task per connection, ReceiveAsync/SendAsync over a pooled buffer, Nagle off, errors of one client kept to it.
// It is a peer in bench/run-echo.sh: what SockCat is measured against when someone "just uses sockets".
//   dotnet PlainSocketEcho.dll PORT        (PORT 0: prints the chosen port on stderr)
var port = args.Length > 0 ? int.Parse(args[0]) : 4444;
using var listener = new Socket(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp);
listener.Bind(new IPEndPoint(IPAddress.Loopback, port));
listener.Listen(4096);
Console.Error.WriteLine($"PlainSocketEcho: listening on tcp://{listener.LocalEndPoint}");

while (true)
{
    var client = await listener.AcceptAsync();
    _ = EchoAsync(client);
}

static async Task EchoAsync(Socket client)
{
    client.NoDelay = true;
    var buffer = ArrayPool<byte>.Shared.Rent(16 * 1024);
    try
    {
        while (true)
        {
            var n = await client.ReceiveAsync(buffer, SocketFlags.None);
            if (n == 0)
            {
                break;
            }

            await client.SendAsync(buffer.AsMemory(0, n), SocketFlags.None);
        }
    }
    catch (SocketException)
    {
        // The peer reset the connection: it is gone, nothing to answer.
    }
    finally
    {
        ArrayPool<byte>.Shared.Return(buffer);
        client.Dispose();
    }
}
