using System.Net;
using System.Net.Sockets;
using System.Text;

namespace SockCat.Cli.Tests.Transfer;

/// <summary>Printing: CUPS' own socket backend printing to `sockcat recv`, and `sockcat send` to a printer's raw port.</summary>
public class PrinterTests
{
    /// <summary>Where Debian's cups package puts the backend; test.sh unpacks it into ~/.cache when cups is not installed.</summary>
    private static readonly string[] SocketBackendPaths =
    [
        "/usr/lib/cups/backend/socket",
        "/usr/lib/cups/backend-available/socket",
        Path.Combine(Environment.GetFolderPath(Environment.SpecialFolder.UserProfile), ".cache/sockcat-test/cups/usr/lib/cups/backend-available/socket"),
    ];

    [Fact]
    public async Task CupsSocketBackend_PrintsToSockcatRecv_JobStoredWhole()
    {
        var backend = SocketBackendPaths.FirstOrDefault(File.Exists)
            ?? throw new InvalidOperationException($"CUPS' socket backend is not in {string.Join(", ", SocketBackendPaths)}; run ./test.sh, which installs it");
        var directory = TempDirectory.Create();
        var source = TempDirectory.Create();
        using var cts = new CancellationTokenSource(CliRun.TestTimeout);
        try
        {
            var (job, sha) = TransferFiles.Random(source, "page.pcl", 200_000);
            var output = new SyncWriter();
            var (recv, error) = CliRun.Start(new MemoryStream(), new MemoryStream(), output, cts.Token, "recv", "tcp://127.0.0.1:0", "--dir", directory);
            var port = await CliRun.WaitForListeningPortAsync(error, recv);

            var cups = await RunBackendAsync(backend, $"socket://127.0.0.1:{port}", job);
            Assert.True(cups.ExitCode == 0, cups.Stderr);
            Assert.Contains("INFO: Print file sent.", cups.Stderr, StringComparison.Ordinal);
            Assert.Contains($"\nok 200000 {sha} job-", cups.Stdout, StringComparison.Ordinal);

            await Until(() => output.Text.Contains("Saved job-", StringComparison.Ordinal), () => output.Text);
            var stored = Assert.Single(Directory.GetFileSystemEntries(directory));
            Assert.Matches(@"job-\d{8}-\d{6}-\d{3}-127\.0\.0\.1_\d+\.bin$", stored);
            Assert.Equal(sha, Convert.ToHexStringLower(System.Security.Cryptography.SHA256.HashData(File.ReadAllBytes(stored))));
            await cts.CancelAsync();
            Assert.Equal(0, (await recv).ExitCode);
        }
        finally
        {
            TempDirectory.Delete(directory);
            TempDirectory.Delete(source);
        }
    }

    /// <summary>
    /// Runs a CUPS backend with the descriptors cupsd gives it (backend(7)): 3 the back channel, here its stdout, so the
    /// printer's answers can be read; 4 the side channel, here /dev/null, which the backend reads once, finds at its end
    /// and stops asking. Left to chance, 3 and 4 are whatever the test runner inherited: under `flock quiet.lock
    /// ./test.sh` fd 3 is the lock file, the job opens as fd 4, and the backend reads the job's first 65,540 bytes
    /// (a side-channel message's largest size) as a side-channel request and prints the rest.
    /// </summary>
    private static Task<(int ExitCode, string Stdout, string Stderr)> RunBackendAsync(string backend, string deviceUri, string job) =>
        Peers.RunAsync("/bin/sh", ["-c", "exec \"$0\" \"$@\" 3>&1 4</dev/null", backend, "1", "user", "title", "1", "", job],
            environment: new Dictionary<string, string> { ["DEVICE_URI"] = deviceUri });

    [Fact]
    public async Task Send_PrinterRefusesFirstThenAnswersStatus_RetriesAndPrintsTheAnswer()
    {
        // Bound but not listening: connect() is refused, as a printer busy with another job refuses.
        using var printer = new Socket(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp);
        printer.Bind(new IPEndPoint(IPAddress.Loopback, 0));
        var port = ((IPEndPoint)printer.LocalEndPoint!).Port;
        var job = Encoding.ASCII.GetBytes("\x1b%-12345X@PJL JOB\r\nhello printer\x0c\x1b%-12345X");
        using var cts = new CancellationTokenSource(CliRun.TestTimeout);
        var stdout = new MemoryStream();
        var (send, error) = CliRun.Start(new MemoryStream(job), stdout, cts.Token, "send", $"tcp://127.0.0.1:{port}", "-", "--retry", "100", "--interval", "0.2", "--raw");

        await Until(() => error.Text.Contains("refused the connection (busy?); trying again in 0.2 s (1 of 100)", StringComparison.Ordinal), () => error.Text);
        printer.Listen();
        using (var connection = await printer.AcceptAsync(cts.Token))
        {
            var received = new MemoryStream();
            var buffer = new byte[4096];
            int n;
            while ((n = await connection.ReceiveAsync(buffer, cts.Token)) > 0)
            {
                received.Write(buffer, 0, n);
            }

            Assert.Equal(job, received.ToArray());
            await connection.SendAsync("@PJL USTATUS JOB\r\nEND\r\nNAME=\"title\"\r\nPAGES=1\r\n\x0c"u8.ToArray());
        }

        var result = await send;
        Assert.True(result.ExitCode == 0, result.Error);
        Assert.Equal("@PJL USTATUS JOB\r\nEND\r\nNAME=\"title\"\r\nPAGES=1\r\n\x0c", Encoding.ASCII.GetString(stdout.ToArray()));
        Assert.Contains($"sockcat: sent {job.Length} bytes to tcp://127.0.0.1:{port}", result.Error, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Send_PrinterStaysBusy_GivesUpWithOneLineAndExit3()
    {
        using var printer = new Socket(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp);
        printer.Bind(new IPEndPoint(IPAddress.Loopback, 0));
        var port = ((IPEndPoint)printer.LocalEndPoint!).Port;
        var result = await CliRun.InvokeAsync("hello"u8.ToArray(), "send", $"tcp://127.0.0.1:{port}", "-", "--retry", "2", "--interval", "0.1", "-q");
        Assert.Equal(ExitCodes.ConnectFailed, result.ExitCode);
        var line = Assert.Single(result.Error.Split('\n', StringSplitOptions.RemoveEmptyEntries));
        Assert.Equal($"sockcat: tcp://127.0.0.1:{port} refused the connection 3 times over 0.2 s (a printer busy with another job, or nothing listening); try again later, or raise --retry or --interval", line);
    }

    [Fact]
    public async Task Send_ToNcListen_SameBytesAsNc()
    {
        // nc -l as the device: no greeting, so sockcat sends bare bytes, as nc -N would.
        var port = SockCat.Testing.LoopbackPorts.Unused();
        var payload = Encoding.ASCII.GetBytes(string.Concat(Enumerable.Repeat("line of a job\n", 5000)));
        var nc = Peers.RunAsync("nc", ["-l", "127.0.0.1", port.ToString()]);
        var result = await SendWhenListeningAsync(port, payload);
        Assert.True(result.ExitCode == 0, result.Error);
        Assert.Equal(Encoding.ASCII.GetString(payload), (await nc).Stdout);
    }

    private static async Task<CliResult> SendWhenListeningAsync(int port, byte[] payload)
    {
        // nc starts listening a moment after it starts: retry the refused connections until it does.
        return await CliRun.InvokeAsync(payload, "send", $"tcp://127.0.0.1:{port}", "-", "--retry", "600", "--interval", "0.05", "-q", "--wait", "5");
    }

    private static async Task Until(Func<bool> condition, Func<string> describe)
    {
        var deadline = DateTime.UtcNow + CliRun.TestTimeout;
        while (!condition())
        {
            if (DateTime.UtcNow > deadline)
            {
                throw new TimeoutException(describe());
            }

            await Task.Delay(20);
        }
    }
}
