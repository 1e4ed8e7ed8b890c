using System.CommandLine;
using System.Net.Sockets;
using SockCat.Endpoints;
using SockCat.Server;
using SockCat.Streams;

namespace SockCat.Cli.Commands;

/// <summary>`sockcat listen URL`: nc -l. Accepts one client at a time and joins it to stdin and stdout.</summary>
internal static class ListenCommand
{
    public static Command Create()
    {
        var url = CommonOptions.Url("Where to listen: tcp://host:port (port 0 picks a free one), unix:///path, or host:port");
        var keepOpen = new Option<bool>("--keep-open", "-k")
        {
            Description = "When a client leaves, wait for the next one instead of exiting",
        };
        var crlf = CommonOptions.Crlf();
        var idleTimeout = CommonOptions.IdleTimeout();

        var bridge = new BridgeOptions();

        var command = new Command("listen", "Wait for a client and join it to stdin and stdout, as nc -l does");
        VerbHelp.Add(command, """
            Details:
              Bytes pass unchanged both ways. Each direction ends on its own: when stdin
              ends, sockcat half-closes the connection and keeps printing what the client
              sends; when the client closes its side, sockcat keeps sending stdin. It exits
              when both have ended, or with --keep-open waits for the next client (a client
              that leaves while stdin is quiet ends its turn). Port 0 picks a free port and
              prints it on stderr. A unix socket file is removed on exit, even on Ctrl+C or
              SIGTERM; one left by a server that died is replaced; a file or directory
              that is not a socket is never touched.

            Examples:
              sockcat listen tcp://0.0.0.0:9000 > received.bin    receive one file
              sockcat listen tcp://127.0.0.1:0                     print the port chosen
              sockcat listen -k unix:///tmp/app.sock               serve client after client

            Exit status:
              0 both directions ended cleanly, 1 stdout or stdin failed, 2 bad usage,
              4 connection lost or idle, 5 could not listen, 130 Ctrl+C,
              141 stdout's reader went away, 143 SIGTERM (docs/cli.md)
            """);
        command.Arguments.Add(url);
        command.Options.Add(keepOpen);
        command.Options.Add(crlf);
        command.Options.Add(idleTimeout);

        bridge.AddTo(command);

        command.SetAction((parseResult, cancellationToken) => RunAsync(
            CommonOptions.ParseUrl(parseResult.GetValue(url)),
            parseResult.GetValue(keepOpen),
            parseResult.GetValue(crlf),
            bridge.Read(parseResult, CommonOptions.ToTimeSpan(parseResult.GetValue(idleTimeout))),
            parseResult.GetValue(bridge.Verbose),
            CommonOptions.ErrorWriter(parseResult),
            StopSignals.Register(parseResult, cancellationToken)));
        return command;
    }

    private static async Task<int> RunAsync(
        EndpointUrl url, bool keepOpen, bool crlf, StreamBridgeOptions bridge, bool verbose, TextWriter error, StopSignals signals)
    {
        using var signalHandlers = signals;
        if (url.Scheme is not (EndpointScheme.Tcp or EndpointScheme.Unix))
        {
            throw new CliException($"listen takes tcp:// and unix:// endpoints, and {url} is not one; for a server on other transports see 'sockcat serve'", ExitCodes.Usage);
        }

        StreamListener listener;
        try
        {
            listener = StreamListener.Start(url);
        }
        catch (ServerListenException ex)
        {
            throw new CliException(ex.Message, ExitCodes.ListenFailed, ex);
        }

        using (listener)
        {
            if (verbose || (url.Scheme == EndpointScheme.Tcp && url.Port == 0))
            {
                await error.WriteLineAsync($"sockcat: listening on {listener.Url}").ConfigureAwait(false);
                await error.FlushAsync(signals.Stop).ConfigureAwait(false);
            }

            // With --keep-open a client that leaves while stdin is quiet ends its turn; a read already pending on stdin
            // is kept for the next client (StdinStream), so nothing typed is lost.
            bridge = bridge with { EndWhenPeerEndsWhileInputWaits = keepOpen };
            var console = ConsoleStreams.Current;
            var input = new StdinStream(console.OpenInput(), crlf);
            var output = console.OpenOutput();
            while (true)
            {
                Socket client;
                try
                {
                    client = await listener.AcceptAsync(signals.Stop).ConfigureAwait(false);
                }
                catch (OperationCanceledException) when (signals.Stop.IsCancellationRequested)
                {
                    return signals.ExitCode;
                }

                if (!keepOpen)
                {
                    // As nc -l: one client, and no one else may queue behind it.
                    listener.Dispose();
                }

                var peerName = client.RemoteEndPoint is System.Net.IPEndPoint ip ? ip.ToString() : $"a client of {listener.Url}";
                if (verbose)
                {
                    await error.WriteLineAsync($"sockcat: connection from {peerName}").ConfigureAwait(false);
                }

                StreamBridgeResult result;
                using (client)
                {
                    result = await StreamBridge.RunAsync(input, output, client, bridge, signals.Stop).ConfigureAwait(false);
                }

                var code = await BridgeReport.ExitCodeAsync(result, peerName, bridge.IdleTimeout, verbose, signals, error).ConfigureAwait(false);
                // One client's broken or idle connection does not end a --keep-open listener; stdout's or stdin's failure, or a signal, does.
                var clientsFault = result.Outcome is StreamBridgeOutcome.PeerFailed or StreamBridgeOutcome.IdleTimeout;
                if (!keepOpen || (code != ExitCodes.Success && !clientsFault))
                {
                    return code;
                }
            }
        }
    }
}
