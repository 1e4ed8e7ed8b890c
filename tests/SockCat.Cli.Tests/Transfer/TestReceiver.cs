using System.Collections.Concurrent;
using System.Net.Sockets;
using System.Security.Cryptography;
using SockCat.Endpoints;
using SockCat.Server;
using SockCat.Services.Transfer;
using SockCat.Testing;

namespace SockCat.Cli.Tests.Transfer;

/// <summary>
/// A receiver on loopback port 0 over the library (what `sockcat recv` runs), in a fresh directory of its own, with its
/// log lines and every upload's outcome to await: tests wait for the outcome, never for time to pass.
/// </summary>
internal sealed class TestReceiver : IAsyncDisposable
{
    private readonly SockCatServer _server;
    private readonly ConcurrentQueue<UploadOutcome> _outcomes = new();
    private readonly SemaphoreSlim _finished = new(0);

    private TestReceiver(string directory, ReceiveOptions options, ServerOptions serverOptions)
    {
        Directory = directory;
        Log = new ErrorFailingLoggerProvider();
        Receiver = new UploadReceiver(options, Log);
        Receiver.Finished += outcome =>
        {
            _outcomes.Enqueue(outcome);
            _finished.Release();
        };
        _server = new SockCatServer(Receiver.CreateProtocol, serverOptions, Log);
    }

    public string Directory { get; }

    public ErrorFailingLoggerProvider Log { get; }

    public UploadReceiver Receiver { get; }

    public EndpointUrl Url { get; private set; } = null!;

    public int Port => Url.Port;

    public static async Task<TestReceiver> StartAsync(Action<ReceiveOptions>? configure = null, bool tls = false)
    {
        var directory = TempDirectory.Create();
        var options = new ReceiveOptions { Directory = directory };
        configure?.Invoke(options);
        var serverOptions = new ServerOptions();
        if (tls)
        {
            serverOptions.ServerCertificate = TestCertificates.Localhost;
        }

        var receiver = new TestReceiver(directory, options, serverOptions);
        receiver.Url = (await receiver._server.StartAsync([EndpointUrl.Parse(tls ? "tls://127.0.0.1:0" : "tcp://127.0.0.1:0")]))[0];
        return receiver;
    }

    /// <summary>The next upload's outcome, in the order they finished.</summary>
    public async Task<UploadOutcome> NextOutcomeAsync()
    {
        if (!await _finished.WaitAsync(CliRun.TestTimeout))
        {
            throw new TimeoutException($"no upload finished; log: {string.Join(" | ", Log.Messages)}");
        }

        _outcomes.TryDequeue(out var outcome);
        return outcome!;
    }

    /// <summary>Every entry of the directory, hidden ones (temporary files) included, by name.</summary>
    public string[] Entries() => System.IO.Directory.GetFileSystemEntries(Directory).Select(Path.GetFileName).Order(StringComparer.Ordinal).ToArray()!;

    public string HashOf(string name) => Convert.ToHexStringLower(SHA256.HashData(File.ReadAllBytes(Path.Combine(Directory, name))));

    public async Task<Socket> ConnectAsync()
    {
        var socket = new Socket(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp);
        await socket.ConnectAsync("127.0.0.1", Port);
        return socket;
    }

    public async ValueTask DisposeAsync()
    {
        await _server.DisposeAsync();
        TempDirectory.Delete(Directory);
    }
}

internal static class TempDirectory
{
    public static string Create()
    {
        var path = Path.Combine(Path.GetTempPath(), "sockcat-transfer-" + Guid.NewGuid().ToString("N")[..12]);
        System.IO.Directory.CreateDirectory(path);
        return path;
    }

    public static void Delete(string path)
    {
        try
        {
            System.IO.Directory.Delete(path, recursive: true);
        }
        catch (IOException)
        {
        }
    }
}
