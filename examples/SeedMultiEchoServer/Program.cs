// The seed's multi-client echo server: one thread, a stream_select loop over the listening socket and every client,
// here on Socket.Select. It logs the seed's lines:
//   Connection accepted from 127.0.0.1:42203
//   Now there are total 1 clients.
//   A client disconnected. Now there are total 0 clients.
//
//   dotnet run --project examples/SeedMultiEchoServer -- [URL]
//
// URL defaults to the seed's tcp://0.0.0.0:4444. With port 0 the system picks a free port, printed first as
// "Listening on tcp://127.0.0.1:PORT".
using System.Net;
using System.Net.Sockets;
using SockCat.Endpoints;

var urlText = args.Length > 0 ? args[0] : "tcp://0.0.0.0:4444";
if (!EndpointUrl.TryParse(urlText, out var url, out var error) || url!.Scheme != EndpointScheme.Tcp)
{
    Console.Error.WriteLine(error ?? $"{urlText}: this example listens on tcp:// only, e.g. tcp://0.0.0.0:4444");
    return 2;
}

#region listen
// open a server on port 4444
var endPoint = url.ToEndPoint() as IPEndPoint ?? new IPEndPoint(Dns.GetHostAddresses(url.Host)[0], url.Port);
using var server = new Socket(endPoint.AddressFamily, SocketType.Stream, ProtocolType.Tcp);
try
{
    server.Bind(endPoint);
    server.Listen();
}
catch (SocketException ex)
{
    Console.Error.WriteLine($"Could not bind to socket: {ex.Message}");
    return 1;
}
if (url.Port == 0)
{
    Console.WriteLine($"Listening on {url.WithPort(((IPEndPoint)server.LocalEndPoint!).Port)}");
}

#endregion

#region select-loop
var clientSocks = new List<Socket>();
var readSocks = new List<Socket>();
var data = new byte[128];
while (true)
{
    // prepare readable sockets
    readSocks.Clear();
    readSocks.AddRange(clientSocks);
    readSocks.Add(server);

    // Wait until one is readable. The seed passes a large timeout (300000 s); -1 waits for ever. Select leaves in
    // the list only the sockets that are ready, as stream_select does with its array.
    Socket.Select(readSocks, null, null, -1);

    // new client
    if (readSocks.Remove(server))
    {
        var newClient = server.Accept();
        // print remote client information, ip and port number
        Console.WriteLine($"Connection accepted from {newClient.RemoteEndPoint}");
        clientSocks.Add(newClient);
        Console.WriteLine($"Now there are total {clientSocks.Count} clients.");
    }

    // message from existing client
    foreach (var sock in readSocks)
    {
        int n;
        try
        {
            n = sock.Receive(data);
        }
        catch (SocketException)
        {
            n = 0; // reset by the client: the seed's fread returns false, and it counts as a disconnect
        }
        if (n == 0)
        {
            clientSocks.Remove(sock);
            sock.Close();
            Console.WriteLine($"A client disconnected. Now there are total {clientSocks.Count} clients.");
            continue;
        }

        // send the message back to client
        try
        {
            sock.Send(data, n, SocketFlags.None);
        }
        catch (SocketException)
        {
            // As the seed's fwrite: ignore it here; the broken socket selects readable and its Receive ends it.
        }
    }
}
#endregion
