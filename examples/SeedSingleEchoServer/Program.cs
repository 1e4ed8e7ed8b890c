// The seed's first server: stream_socket_server, then stream_socket_accept and stream_copy_to_stream($client, $client)
// in a loop: an echo server that serves one client at a time. Others wait in the listen backlog until it leaves.
//
//   dotnet run --project examples/SeedSingleEchoServer -- [URL]
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
// $server = stream_socket_server("tcp://0.0.0.0:4444", $errno, $errorMessage);
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

#region accept-copy
for (;;)
{
    using var client = server.Accept();
    Console.WriteLine($"Connection accepted from {client.RemoteEndPoint}");
    using var stream = new NetworkStream(client, ownsSocket: false);
    try
    {
        // stream_copy_to_stream($client, $client): read until the client closes, writing each chunk back.
        stream.CopyTo(stream);
    }
    catch (IOException)
    {
        // The client reset the connection: it is gone either way, so serve the next one.
    }
}
#endregion
