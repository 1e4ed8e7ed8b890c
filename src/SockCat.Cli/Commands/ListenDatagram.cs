using System.Net;
using System.Net.Sockets;
using SockCat.Endpoints;
using SockCat.Server;
using SockCat.Streams;

namespace SockCat.Cli.Commands;

/// <summary>
/// `listen udp://`, as nc -u -l: the first datagram's sender becomes the peer (the socket is connected to it, so the
/// system drops anyone else's datagrams); its datagrams go to stdout and each line of stdin goes back to it as one
/// datagram, under <see cref="DatagramBridge"/>'s rules, except that stdin's end does not end receiving: the peer may
/// speak at any time, so sockcat receives until Ctrl+C, -q or --idle-timeout.
/// </summary>
internal static class ListenDatagram
{
    // A UDP datagram holds at most 65,507 bytes over IPv4 (65,535 less the 20-byte IP and 8-byte UDP headers).
    private const int MaxDatagram = 65_507;

    public static async Task<int> RunAsync(ListenSettings settings, TextWriter error, StopSignals signals)
    {
        var url = settings.Url;
        Socket socket;
        EndpointUrl listening;
        try
        {
            (socket, listening) = DatagramListener.Bind(url, settings.Family);
        }
        catch (ServerListenException ex)
        {
            throw new CliException(ex.Message, ExitCodes.ListenFailed, ex);
        }

        using (socket)
        {
            if (settings.Verbose || url.Port == 0)
            {
                await error.WriteLineAsync($"sockcat: listening on {listening}").ConfigureAwait(false);
                await error.FlushAsync(signals.Stop).ConfigureAwait(false);
            }

            var buffer = new byte[MaxDatagram];
            var anyone = new IPEndPoint(socket.AddressFamily == AddressFamily.InterNetworkV6 ? IPAddress.IPv6Any : IPAddress.Any, 0);
            SocketReceiveFromResult first;
            string peer;
            while (true)
            {
                try
                {
                    first = await socket.ReceiveFromAsync(buffer, SocketFlags.None, anyone, signals.Stop).ConfigureAwait(false);
                }
                catch (OperationCanceledException) when (signals.Stop.IsCancellationRequested)
                {
                    return signals.ExitCode;
                }

                peer = ListenCommand.PeerName(first.RemoteEndPoint, listening);
                if (!settings.Access.HasRules || first.RemoteEndPoint is not IPEndPoint ip || settings.Access.IsAllowed(ip.Address))
                {
                    break;
                }

                if (settings.Verbose)
                {
                    await error.WriteLineAsync($"sockcat: ignored a datagram from {peer}: not allowed by --allow/--deny").ConfigureAwait(false);
                }
            }

            // From here on the system delivers only the peer's datagrams, and sends go to it.
            socket.Connect(first.RemoteEndPoint);
            if (settings.Verbose)
            {
                await error.WriteLineAsync($"sockcat: datagrams from {peer}").ConfigureAwait(false);
            }

            var console = ConsoleStreams.Current;
            var input = new StdinStream(console.OpenInput(), settings.Crlf);
            var output = console.OpenOutput();
            (settings.Bridge.Traffic as TrafficDump)?.Begin(peer);
            var result = await DatagramBridge.RunAsync(
                socket, input, output, settings.Bridge, signals.Stop, buffer.AsMemory(0, first.ReceivedBytes), lingerAfterInput: false).ConfigureAwait(false);
            return await BridgeReport.ExitCodeAsync(result, peer, settings.Bridge.IdleTimeout, settings.Verbose, signals, error).ConfigureAwait(false);
        }
    }
}
