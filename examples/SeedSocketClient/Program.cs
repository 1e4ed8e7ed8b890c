// The seed's first program: an HTTP client on the C-style socket API (socket_create, socket_connect,
// socket_send, socket_recv), here on System.Net.Sockets.Socket (Connect, Send, Receive).
//
//   dotnet run --project examples/SeedSocketClient -- [HOST] [PORT] [MESSAGE]
//
// HOST and PORT default to the seed's 74.125.235.20 80, MESSAGE to the seed's "GET / HTTP/1.1\r\n\r\n".
using System.Net.Sockets;
using System.Runtime.InteropServices;
using System.Text;

var host = args.Length > 0 ? args[0] : "74.125.235.20";
var message = args.Length > 2 ? args[2] : "GET / HTTP/1.1\r\n\r\n";
var port = 80;
if (args.Length > 1 && !(int.TryParse(args[1], out port) && port is > 0 and <= 65535))
{
    Console.Error.WriteLine($"{args[1]}: not a port (1-65535); usage: SeedSocketClient [HOST] [PORT] [MESSAGE]");
    return 2;
}

#region connect
Socket sock;
try
{
    sock = new Socket(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp);
}
catch (SocketException ex)
{
    return Perror("Could not create socket", ex);
}
Console.WriteLine("Socket created");

// Connect socket to remote server
try
{
    sock.Connect(host, port);
}
catch (SocketException ex)
{
    return Perror("Could not connect", ex);
}
Console.WriteLine("Connection established");
#endregion

#region send-receive
// Send the message to the server: Send on a blocking socket returns once every byte is queued.
var bytes = Encoding.UTF8.GetBytes(message);
try
{
    sock.Send(bytes);
}
catch (SocketException ex)
{
    return Perror("Could not send data", ex);
}
Console.WriteLine("Message send successfully");

// Now receive reply from server. The seed asks for 500 bytes with MSG_WAITALL, which blocks until all 500
// have come or the server closes; .NET has no MSG_WAITALL flag, so loop until the buffer is full or EOF.
var buf = new byte[500];
var received = 0;
try
{
    int n;
    while (received < buf.Length && (n = sock.Receive(buf, received, buf.Length - received, SocketFlags.None)) > 0)
    {
        received += n;
    }
}
catch (SocketException ex)
{
    return Perror("Could not receive data", ex);
}

using (var stdout = Console.OpenStandardOutput())
{
    stdout.Write(buf, 0, received);
}
sock.Close();
return 0;
#endregion

#region perror
// Prints the socket error as the seed's perror does: "Could not connect: [111] Connection refused".
// NativeErrorCode is the OS errno (socket_last_error); strerror gives its text (socket_strerror), where
// SocketException.Message may add the address it was connecting to.
static int Perror(string msg, SocketException ex)
{
    Console.Error.WriteLine($"{msg}: [{ex.NativeErrorCode}] {Marshal.GetPInvokeErrorMessage(ex.NativeErrorCode)}");
    return 1;
}
#endregion
