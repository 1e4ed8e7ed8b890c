using System.IO.Pipelines;
using System.Net;
using System.Net.Sockets;

namespace SockCat.Cli.Tests;

/// <summary>`sockcat listen` in process: a test client connects to it.</summary>
public sealed class ListenCommandTests
{
    [Fact]
    public async Task Listen_PortZero_AnnouncesThePortAndJoinsOneClientToStdinAndStdout()
    {
        using var cts = new CancellationTokenSource(CliRun.TestTimeout);
        var fromClient = Enumerable.Range(0, 256).Select(i => (byte)i).ToArray();
        var (run, error) = CliRun.Start(new MemoryStream("from stdin\0\xff"u8.ToArray()), cts.Token, "listen", "tcp://127.0.0.1:0");
        var port = await CliRun.WaitForListeningPortAsync(error, run);

        using var client = new TcpClient();
        await client.ConnectAsync(IPAddress.Loopback, port, cts.Token);
        var stream = client.GetStream();
        // Stdin's end half-closes the listener's side: the client reads it all, then still sends after the listener's FIN.
        var received = new MemoryStream();
        await stream.CopyToAsync(received, cts.Token);
        await stream.WriteAsync(fromClient, cts.Token);
        client.Client.Shutdown(SocketShutdown.Send);
        var result = await run;

        Assert.Equal("from stdin\0\xff"u8.ToArray(), received.ToArray());
        Assert.Equal(fromClient, result.Stdout);
        Assert.Equal(0, result.ExitCode);
        Assert.Equal($"sockcat: listening on tcp://127.0.0.1:{port}\n", result.Error);
        await AssertRefusedAsync(port);
    }

    [Fact]
    public async Task Listen_KeepOpen_ServesClientAfterClientUntilStoppedThenClosesTheSocket()
    {
        using var stop = new CancellationTokenSource();
        using var cts = new CancellationTokenSource(CliRun.TestTimeout);
        var stdout = new Pipe();
        var (run, error) = CliRun.Start(new MemoryStream(), stdout.Writer.AsStream(), stop.Token, "listen", "-k", "tcp://127.0.0.1:0");
        var port = await CliRun.WaitForListeningPortAsync(error, run);
        var printed = stdout.Reader.AsStream();

        foreach (var text in new[] { "first\n", "second\n" })
        {
            using var client = new TcpClient();
            await client.ConnectAsync(IPAddress.Loopback, port, cts.Token);
            var stream = client.GetStream();
            await stream.WriteAsync(System.Text.Encoding.ASCII.GetBytes(text), cts.Token);
            client.Client.Shutdown(SocketShutdown.Send);
            // Stdin is already at its end, so the listener half-closes at once: the client reads end of stream.
            Assert.Equal(0, await stream.ReadAsync(new byte[1], cts.Token));
            var line = new byte[text.Length];
            await printed.ReadExactlyAsync(line, cts.Token);
            Assert.Equal(text, System.Text.Encoding.ASCII.GetString(line));
        }

        await stop.CancelAsync();
        var result = await run.WaitAsync(cts.Token);

        // Stopped as by Ctrl+C.
        Assert.Equal(ExitCodes.Interrupted, result.ExitCode);
        await AssertRefusedAsync(port);
    }

    [Fact]
    public async Task Listen_Unix_ServesAClientAndRemovesTheSocketFile()
    {
        using var cts = new CancellationTokenSource(CliRun.TestTimeout);
        var path = Path.Combine(Path.GetTempPath(), $"sockcat-listen-{Guid.NewGuid():N}.sock");
        var (run, _) = CliRun.Start(new MemoryStream("hi"u8.ToArray()), cts.Token, "listen", $"unix://{path}");
        var deadline = DateTime.UtcNow + CliRun.TestTimeout;
        while (!File.Exists(path) && DateTime.UtcNow < deadline && !run.IsCompleted)
        {
            await Task.Delay(20, cts.Token);
        }

        using (var client = new Socket(AddressFamily.Unix, SocketType.Stream, ProtocolType.Unspecified))
        {
            await client.ConnectAsync(new UnixDomainSocketEndPoint(path), cts.Token);
            await using var stream = new NetworkStream(client);
            await stream.WriteAsync("hello"u8.ToArray(), cts.Token);
            client.Shutdown(SocketShutdown.Send);
            var received = new MemoryStream();
            await stream.CopyToAsync(received, cts.Token);
            Assert.Equal("hi"u8.ToArray(), received.ToArray());
        }

        var result = await run;
        Assert.Equal((0, "hello"), (result.ExitCode, result.StdoutText));
        Assert.False(File.Exists(path));
    }

    [Fact]
    public async Task Listen_PortInUse_ExitsListenFailedWithOneLine()
    {
        using var taken = new TcpListener(IPAddress.Loopback, 0);
        taken.Start();
        var port = ((IPEndPoint)taken.LocalEndpoint).Port;

        var result = await CliRun.InvokeAsync("listen", $"tcp://127.0.0.1:{port}");

        Assert.Equal(ExitCodes.ListenFailed, result.ExitCode);
        Assert.Equal($"sockcat: tcp://127.0.0.1:{port} is already in use; stop the other server or pick another port\n", result.Error);
    }

    [Fact]
    public async Task Listen_StaleUnixSocketFileLeftByADeadServer_IsReplacedAndServed()
    {
        using var cts = new CancellationTokenSource(CliRun.TestTimeout);
        var path = Path.Combine(Path.GetTempPath(), $"sockcat-stale-{Guid.NewGuid():N}.sock");
        // A server that died: its socket file stays, and nothing answers on it. (.NET removes the file when its own
        // socket is disposed, so the dead server is another program.)
        using (var dead = System.Diagnostics.Process.Start("/usr/bin/python3", ["-c", "import socket,sys; socket.socket(socket.AF_UNIX).bind(sys.argv[1])", path]))
        {
            await dead.WaitForExitAsync(cts.Token);
        }

        Assert.True(File.Exists(path));
        var (run, _) = CliRun.Start(new MemoryStream("hi"u8.ToArray()), cts.Token, "listen", $"unix://{path}");
        using (var client = await ConnectUnixWhenListeningAsync(path, run, cts.Token))
        {
            var stream = new NetworkStream(client);
            client.Shutdown(SocketShutdown.Send);
            var received = new MemoryStream();
            await stream.CopyToAsync(received, cts.Token);
            Assert.Equal("hi"u8.ToArray(), received.ToArray());
        }

        var result = await run;
        Assert.Equal((0, ""), (result.ExitCode, result.Error));
        Assert.False(File.Exists(path));
    }

    [Fact]
    public async Task Listen_UnixPathIsARegularFile_RefusesWithOneLineAndKeepsTheFile()
    {
        var path = Path.Combine(Path.GetTempPath(), $"sockcat-file-{Guid.NewGuid():N}.sock");
        await File.WriteAllTextAsync(path, "precious");
        try
        {
            var result = await CliRun.InvokeAsync("listen", $"unix://{path}");

            Assert.Equal(ExitCodes.ListenFailed, result.ExitCode);
            Assert.Equal($"sockcat: unix://{path}: {path} is a regular file, not a socket, and is left untouched; pick another path\n", result.Error);
            Assert.Equal("precious", await File.ReadAllTextAsync(path));
        }
        finally
        {
            File.Delete(path);
        }
    }

    [Fact]
    public async Task Listen_UnixPathIsADirectory_RefusesWithOneLineAndKeepsIt()
    {
        var path = Directory.CreateTempSubdirectory("sockcat-dir-").FullName;
        try
        {
            var result = await CliRun.InvokeAsync("listen", $"unix://{path}");

            Assert.Equal(ExitCodes.ListenFailed, result.ExitCode);
            Assert.Equal($"sockcat: unix://{path}: {path} is a directory, not a socket, and is left untouched; pick another path\n", result.Error);
            Assert.True(Directory.Exists(path));
        }
        finally
        {
            Directory.Delete(path);
        }
    }

    [Fact]
    public async Task Listen_UnixInADirectoryThatDoesNotExist_SaysSo()
    {
        var directory = Path.Combine(Path.GetTempPath(), $"sockcat-none-{Guid.NewGuid():N}");

        var result = await CliRun.InvokeAsync("listen", $"unix://{directory}/x.sock");

        Assert.Equal(ExitCodes.ListenFailed, result.ExitCode);
        Assert.Equal($"sockcat: unix://{directory}/x.sock: the directory {directory} does not exist; create it or pick another path\n", result.Error);
    }

    internal static async Task<Socket> ConnectUnixWhenListeningAsync(string path, Task running, CancellationToken cancellationToken)
    {
        while (true)
        {
            var socket = new Socket(AddressFamily.Unix, SocketType.Stream, ProtocolType.Unspecified);
            try
            {
                await socket.ConnectAsync(new UnixDomainSocketEndPoint(path), cancellationToken);
                return socket;
            }
            catch (SocketException) when (!running.IsCompleted)
            {
                socket.Dispose();
                await Task.Delay(10, cancellationToken);
            }
        }
    }

    private static async Task AssertRefusedAsync(int port)
    {
        using var probe = new Socket(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp);
        var ex = await Assert.ThrowsAsync<SocketException>(() => probe.ConnectAsync(IPAddress.Loopback, port));
        Assert.Equal(SocketError.ConnectionRefused, ex.SocketErrorCode);
    }
}
