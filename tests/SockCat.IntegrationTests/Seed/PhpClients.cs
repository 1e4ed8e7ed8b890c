using System.Globalization;

namespace SockCat.IntegrationTests.Seed;

/// <summary>How each of the seed's PHP clients is run against a local echo server, and what it must print.</summary>
internal static class PhpClients
{
    public const string SocketClient = "socket_client.php";
    public const string StreamClient = "stream_client.php";
    public const string FsockopenClient = "fsockopen_client.php";

    /// <summary>
    /// Starts <paramref name="script"/> against 127.0.0.1:<paramref name="port"/> and returns what it must print.
    /// socket_client.php waits for 500 bytes (MSG_WAITALL), so its payload is 500 bytes; the stream clients read to
    /// EOF, so they half-close after writing ("shut") and the echo server then closes.
    /// </summary>
    public static (PeerProcess Client, string Sent, string ExpectedStdout) Start(string script, int port)
    {
        var portText = port.ToString(CultureInfo.InvariantCulture);
        var payload = SeedPeers.Payload(500, script);
        return script == SocketClient
            ? (PeerProcess.StartPhp(script, ["127.0.0.1", portText, payload]), payload, SeedPeers.PhpSocketClientPreamble + payload)
            : (PeerProcess.StartPhp(script, ["127.0.0.1", portText, payload, "shut"]), payload, payload);
    }
}
