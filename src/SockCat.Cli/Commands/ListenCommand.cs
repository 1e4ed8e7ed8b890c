using System.CommandLine;
using System.Net;
using System.Net.Sockets;
using SockCat.Client;
using SockCat.Endpoints;

namespace SockCat.Cli.Commands;

/// <summary>`sockcat listen URL`: nc -l. Accepts one client at a time and joins it to stdin and stdout.</summary>
internal static class ListenCommand
{
    private const int Backlog = 16;

    public static Command Create()
    {
        var url = CommonOptions.Url("Where to listen: tcp://host:port (port 0 picks a free one), unix:///path, or host:port");
        var keepOpen = new Option<bool>("--keep-open", "-k")
        {
            Description = "When a client leaves, wait for the next one instead of exiting",
        };
        var crlf = CommonOptions.Crlf();
        var idleTimeout = CommonOptions.IdleTimeout();

        var command = new Command("listen", "Wait for a client and join it to stdin and stdout, as nc -l does");
        VerbHelp.Add(command, """
            Details:
              Bytes pass unchanged both ways. When stdin ends, sockcat half-closes the
              connection and keeps printing what the client sends until it closes; then sockcat
              exits, or with --keep-open waits for the next client. Port 0 picks a free port
              and prints it on stderr. A unix socket file is removed on exit.

            Examples:
              sockcat listen tcp://0.0.0.0:9000 > received.bin    receive one file
              sockcat listen tcp://127.0.0.1:0                     print the port chosen
              sockcat listen -k unix:///tmp/app.sock               serve client after client

            Exit status:
              0 the client closed cleanly, 2 bad usage, 4 connection lost or idle,
              5 could not listen (docs/cli.md)
            """);
        command.Arguments.Add(url);
        command.Options.Add(keepOpen);
        command.Options.Add(crlf);
        command.Options.Add(idleTimeout);

        command.SetAction((parseResult, cancellationToken) => RunAsync(
            CommonOptions.ParseUrl(parseResult.GetValue(url)),
            parseResult.GetValue(keepOpen),
            parseResult.GetValue(crlf),
            CommonOptions.ToTimeSpan(parseResult.GetValue(idleTimeout)),
            CommonOptions.ErrorWriter(parseResult),
            cancellationToken));
        return command;
    }

    private static async Task<int> RunAsync(EndpointUrl url, bool keepOpen, bool crlf, TimeSpan? idleTimeout, TextWriter error, CancellationToken cancellationToken)
    {
        if (url.Scheme is not (EndpointScheme.Tcp or EndpointScheme.Unix))
        {
            throw new CliException($"listen takes tcp:// and unix:// endpoints, and {url} is not one; for a server on other transports see 'sockcat serve'", ExitCodes.Usage);
        }

        var listener = await BindAsync(url, cancellationToken).ConfigureAwait(false);
        var unixPath = url.Scheme == EndpointScheme.Unix ? url.Path : null;
        try
        {
            var bound = url.Scheme == EndpointScheme.Tcp ? url.WithPort(((IPEndPoint)listener.LocalEndPoint!).Port) : url;
            if (url.Scheme == EndpointScheme.Tcp && url.Port == 0)
            {
                await error.WriteLineAsync($"sockcat: listening on {bound}").ConfigureAwait(false);
                await error.FlushAsync(cancellationToken).ConfigureAwait(false);
            }

            var console = ConsoleStreams.Current;
            var input = new StdinSource(console.OpenInput(), crlf);
            var output = console.OpenOutput();
            while (true)
            {
                var client = await listener.AcceptAsync(cancellationToken).ConfigureAwait(false);
                if (!keepOpen)
                {
                    // As nc -l: one client, and no one else may queue behind it.
                    Close(listener, ref unixPath);
                }

                var peerName = client.RemoteEndPoint is IPEndPoint ip ? ip.ToString() : $"a client of {url}";
                try
                {
                    await using var stream = new NetworkStream(client, ownsSocket: true);
                    var end = await ConsoleBridge.RunStreamAsync(
                        stream,
                        () => ShutdownSend(client),
                        input,
                        ReadOnlyMemory<byte>.Empty,
                        output,
                        idleTimeout,
                        peerName,
                        cancellationToken).ConfigureAwait(false);
                    if (end == BridgeEnd.Idle)
                    {
                        await error.WriteLineAsync($"sockcat: nothing sent or received for {CommonOptions.Seconds(idleTimeout!.Value)}, closing {peerName} (--idle-timeout)").ConfigureAwait(false);
                        if (!keepOpen)
                        {
                            return ExitCodes.ConnectionLost;
                        }
                    }
                }
                catch (CliException ex) when (keepOpen)
                {
                    // One client's broken connection does not end a --keep-open listener.
                    await error.WriteLineAsync($"sockcat: {ex.Message}").ConfigureAwait(false);
                }

                if (!keepOpen)
                {
                    return ExitCodes.Success;
                }
            }
        }
        catch (OperationCanceledException) when (cancellationToken.IsCancellationRequested)
        {
            return ExitCodes.Success;
        }
        finally
        {
            Close(listener, ref unixPath);
        }
    }

    private static async Task<Socket> BindAsync(EndpointUrl url, CancellationToken cancellationToken)
    {
        EndPoint endPoint;
        if (url.Scheme == EndpointScheme.Unix)
        {
            endPoint = new UnixDomainSocketEndPoint(url.Path);
        }
        else
        {
            var address = IPAddress.TryParse(url.Host, out var literal) ? literal : await ResolveAsync(url, cancellationToken).ConfigureAwait(false);
            endPoint = new IPEndPoint(address, url.Port);
        }

        var socket = new Socket(endPoint.AddressFamily, SocketType.Stream, url.Scheme == EndpointScheme.Unix ? ProtocolType.Unspecified : ProtocolType.Tcp);
        try
        {
            socket.Bind(endPoint);
            socket.Listen(Backlog);
            return socket;
        }
        catch (SocketException ex)
        {
            socket.Dispose();
            var (_, name) = SocketErrorNames.Describe(ex);
            var message = ex.SocketErrorCode switch
            {
                SocketError.AddressAlreadyInUse when url.Scheme == EndpointScheme.Unix && IsStale(url.Path) => $"{url.Path} exists but nothing answers on it ({name}); if it is a socket left by a server that died, remove it (rm {url.Path}) and try again",
                SocketError.AddressAlreadyInUse when url.Scheme == EndpointScheme.Unix => $"{url.Path} is in use by a running server or another file ({name}); stop that server or pick another path",
                SocketError.AddressAlreadyInUse => $"{url} is already in use ({name}); stop the program using it or pick another address (port 0 picks a free port)",
                SocketError.AccessDenied when url.Scheme == EndpointScheme.Unix => $"cannot create {url.Path} ({name}); pick a directory you may write to, e.g. unix:///tmp/sockcat.sock",
                SocketError.AccessDenied => $"listening on port {url.Port} needs privileges ({name}); use a port over 1023, or grant CAP_NET_BIND_SERVICE",
                SocketError.AddressNotAvailable => $"{url.Host} is not an address of this machine ({name}); use 127.0.0.1, 0.0.0.0 or one of this machine's addresses",
                _ => $"cannot listen on {url}: {ex.Message.TrimEnd('.')} ({name}); check the address",
            };
            throw new CliException(message, ExitCodes.ListenFailed, ex);
        }
    }

    private static async Task<IPAddress> ResolveAsync(EndpointUrl url, CancellationToken cancellationToken)
    {
        try
        {
            var addresses = await Dns.GetHostAddressesAsync(url.Host, cancellationToken).ConfigureAwait(false);
            return addresses.FirstOrDefault() ?? throw new SocketException((int)SocketError.HostNotFound);
        }
        catch (SocketException ex)
        {
            throw new CliException($"cannot listen on {url}: no such host '{url.Host}' ({SocketErrorNames.Describe(ex).Name}); use an address such as 127.0.0.1 or 0.0.0.0", ExitCodes.ListenFailed, ex);
        }
    }

    /// <summary>
    /// A server that died leaves its socket file behind, and bind then fails with EADDRINUSE. .NET cannot tell a socket
    /// file from any other, so the file is not removed here: the user is told it is stale and removes it.
    /// </summary>
    private static bool IsStale(string path)
    {
        using var probe = new Socket(AddressFamily.Unix, SocketType.Stream, ProtocolType.Unspecified);
        try
        {
            probe.Connect(new UnixDomainSocketEndPoint(path));
            return false;
        }
        catch (SocketException ex)
        {
            return ex.SocketErrorCode == SocketError.ConnectionRefused;
        }
    }

    private static ValueTask ShutdownSend(Socket client)
    {
        try
        {
            client.Shutdown(SocketShutdown.Send);
        }
        catch (Exception ex) when (ex is SocketException or ObjectDisposedException)
        {
            // The client is already gone; the receive side reports how.
        }

        return ValueTask.CompletedTask;
    }

    private static void Close(Socket listener, ref string? unixPath)
    {
        listener.Dispose();
        if (unixPath is not null)
        {
            try
            {
                File.Delete(unixPath);
            }
            catch (IOException)
            {
            }
            catch (UnauthorizedAccessException)
            {
            }

            unixPath = null;
        }
    }
}
