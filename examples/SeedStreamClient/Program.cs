// The seed's second client: fsockopen / stream_socket_client, a stream over a URL endpoint
// ("tcp://www.google.com:80"), written and read as a file is.
//
//   dotnet run --project examples/SeedStreamClient -- [URL] [MESSAGE]
//
// URL defaults to the seed's tcp://www.google.com:80 (unix:///path works too), MESSAGE to "GET / HTTP/1.1\r\n\r\n".
using System.Net.Sockets;
using System.Runtime.InteropServices;
using System.Text;
using SockCat.Endpoints;

var urlText = args.Length > 0 ? args[0] : "tcp://www.google.com:80";
var message = args.Length > 1 ? args[1] : "GET / HTTP/1.1\r\n\r\n";

if (!EndpointUrl.TryParse(urlText, out var url, out var error))
{
    Console.Error.WriteLine(error);
    return 2;
}
if (url!.Scheme is not (EndpointScheme.Tcp or EndpointScheme.Unix))
{
    Console.Error.WriteLine($"{url}: this example speaks tcp:// and unix://; `sockcat connect` does udp:// and tls:// too");
    return 2;
}

#region open
// $fp = stream_socket_client("tcp://www.google.com:80", $errno, $errstr, 30);
NetworkStream fp;
try
{
    fp = await OpenAsync(url, TimeSpan.FromSeconds(30));
}
catch (SocketException ex)
{
    // if (!$fp) { echo "$errstr ($errno)"; }: strerror's text, as PHP's $errstr (SocketException.Message may add
    // the address it was connecting to).
    Console.Error.WriteLine($"{Marshal.GetPInvokeErrorMessage(ex.NativeErrorCode)} ({ex.NativeErrorCode})");
    return 1;
}

#endregion

#region talk
await using (fp)
{
    // Send data
    await fp.WriteAsync(Encoding.UTF8.GetBytes(message));

    // The seed's HTTP server closes after its answer; an echo server waits for us to finish first. Shutting down
    // our sending side (a half-close, FIN) says "that was all", and the reply still flows back until the server closes.
    fp.Socket.Shutdown(SocketShutdown.Send);

    // Receive data - in small chunks :)
    using var stdout = Console.OpenStandardOutput();
    var chunk = new byte[128];
    int n;
    while ((n = await fp.ReadAsync(chunk)) > 0)
    {
        stdout.Write(chunk, 0, n);
    }
}
return 0;
#endregion

#region open-async
// fsockopen in one call: create the socket and connect it, within the timeout, trying every address of the name.
static async Task<NetworkStream> OpenAsync(EndpointUrl url, TimeSpan timeout)
{
    using var cts = new CancellationTokenSource(timeout);
    Socket socket = url.Scheme == EndpointScheme.Unix
        ? new Socket(AddressFamily.Unix, SocketType.Stream, ProtocolType.Unspecified)
        : new Socket(SocketType.Stream, ProtocolType.Tcp);
    try
    {
        if (url.Scheme == EndpointScheme.Unix)
        {
            await socket.ConnectAsync(url.ToEndPoint()!, cts.Token);
        }
        else
        {
            await socket.ConnectAsync(url.Host, url.Port, cts.Token);
        }
        return new NetworkStream(socket, ownsSocket: true);
    }
    catch (OperationCanceledException)
    {
        socket.Dispose();
        throw new SocketException((int)SocketError.TimedOut);
    }
    catch
    {
        socket.Dispose();
        throw;
    }
}
#endregion
