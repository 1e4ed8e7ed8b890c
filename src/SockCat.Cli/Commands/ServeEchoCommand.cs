using System.CommandLine;
using SockCat.Server.Udp;
using SockCat.Services.Echo;

namespace SockCat.Cli.Commands;

/// <summary><c>sockcat serve echo URL...</c>: the seed's echo servers, multi-client by default, one at a time with --single.</summary>
internal static class ServeEchoCommand
{
    public static Command Create()
    {
        var options = new ServeOptions { WebSide = true };
        var single = new Option<bool>("--single")
        {
            Description = "Serve one client at a time, as the seed's first server; the others wait and are served in order",
        };
        var command = new Command("echo", """
            Echo every byte back to its sender; log each client as the seed's server did:
              Connection accepted from 127.0.0.1:42203
              Now there are total 1 clients.
              A client disconnected. Now there are total 0 clients.
            Examples:
              sockcat serve echo tcp://0.0.0.0:4444
              sockcat serve echo tcp://127.0.0.1:4444 unix:///tmp/echo.sock --idle-timeout 300
              sockcat serve echo --single tcp://127.0.0.1:4444
              sockcat serve echo udp://127.0.0.1:4444                   every datagram back to its sender
              sockcat serve echo tls://127.0.0.1:4443                   prints the self-signed certificate's fingerprint
              sockcat serve echo tls://0.0.0.0:4443 --cert cert.pem --key key.pem
              sockcat serve echo tcp://0.0.0.0:4444 --allow 10.0.0.0/8,127.0.0.1 --deny 10.9.0.0/16
              sockcat serve echo ws://127.0.0.1:8080/                  WebSocket messages back; a test page at http://127.0.0.1:8080/
              sockcat serve echo wss://0.0.0.0:8443/echo --origin https://example.com
            Stop with Ctrl+C: it stops accepting, lets clients finish for --drain seconds (a second Ctrl+C closes them at once),
            and prints a summary.
            """);
        options.AddTo(command);
        command.Options.Add(single);
        command.SetAction((parseResult, cancellationToken) => options.RunAsync(
            parseResult,
            _ => EchoProtocol.Instance,
            serverOptions =>
            {
                serverOptions.SingleClient = parseResult.GetValue(single);
                serverOptions.Web.MapRoutes = static (routes, listener) => routes.MapWebSocketEcho(listener.Path);
            },
            cancellationToken,
            new ServeHooks { DatagramProtocol = EchoDatagramProtocol.Instance }));
        return command;
    }
}
