using System.Net.Sockets;
using System.Text;
using SockCat.Services.Transfer;

namespace SockCat.Cli.Tests.Transfer;

/// <summary>`sockcat send` to the receiver `sockcat recv` runs: verified uploads, many at once, and every way one can break.</summary>
public class SendRecvTests
{
    [Fact]
    public async Task Send_256MiBFile_StoredWithTheSameSha256()
    {
        // 256 MiB keeps the suite quick; 1 GiB was checked by hand and in bench/run-transfer.sh (docs/benchmarks.md).
        await using var receiver = await TestReceiver.StartAsync();
        var source = TempDirectory.Create();
        try
        {
            var (path, sha) = TransferFiles.Random(source, "big.bin", 256L << 20);
            var result = await CliRun.InvokeAsync("send", receiver.Url.ToString(), path, "--verify");
            Assert.True(result.ExitCode == 0, result.Error);
            Assert.Contains($"sha256 {sha} verified", result.Error, StringComparison.Ordinal);
            var outcome = await receiver.NextOutcomeAsync();
            Assert.True(outcome.Verified);
            Assert.Equal(["big.bin"], receiver.Entries());
            Assert.Equal(sha, receiver.HashOf("big.bin"));
        }
        finally
        {
            TempDirectory.Delete(source);
        }
    }

    [Fact]
    public async Task Send_FileOverTls_VerdictArrives_NoHalfCloseNeeded()
    {
        // Kestrel hosts tls:// and takes a FIN for a close: with a size, the receiver knows the end without one.
        await using var receiver = await TestReceiver.StartAsync(tls: true);
        var source = TempDirectory.Create();
        try
        {
            var (path, sha) = TransferFiles.Random(source, "secret.bin", 3 << 20);
            var result = await CliRun.InvokeAsync("send", receiver.Url.ToString(), path, "--verify", "--insecure");
            Assert.True(result.ExitCode == 0, result.Error);
            Assert.True((await receiver.NextOutcomeAsync()).Verified);
            Assert.Equal(sha, receiver.HashOf("secret.bin"));
        }
        finally
        {
            TempDirectory.Delete(source);
        }
    }

    [Fact]
    public async Task Recv_Stdout_PassesOneStreamOn_ThenExits0()
    {
        var payload = System.Security.Cryptography.RandomNumberGenerator.GetBytes(2 << 20);
        var stdout = new MemoryStream();
        var output = new SyncWriter();
        var (recv, error) = CliRun.Start(new MemoryStream(), stdout, output, CancellationToken.None, "recv", "tcp://127.0.0.1:0", "--stdout", "--drain", "0");
        var port = await CliRun.WaitForListeningPortAsync(error, recv);
        var send = await CliRun.InvokeAsync(payload, "send", $"tcp://127.0.0.1:{port}", "-", "--verify");
        Assert.True(send.ExitCode == 0, send.Error);
        Assert.Contains(": passed on, sha256 ", send.Error, StringComparison.Ordinal);
        var result = await recv.WaitAsync(CliRun.TestTimeout);
        Assert.Equal(0, result.ExitCode);
        Assert.Equal(payload, stdout.ToArray());
        Assert.Contains("Passed on 2097152 bytes", error.Text + output.Text, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Send_TwentyAtOnce_AllStoredWhole()
    {
        await using var receiver = await TestReceiver.StartAsync();
        var source = TempDirectory.Create();
        try
        {
            var files = Enumerable.Range(0, 20).Select(i => TransferFiles.Random(source, $"part{i:00}.bin", (1 << 20) + i * 4099)).ToArray();
            var results = await Task.WhenAll(files.Select(f => Task.Run(() => CliRun.InvokeAsync("send", receiver.Url.ToString(), f.Path, "--verify", "-q"))));
            Assert.All(results, r => Assert.True(r.ExitCode == 0, r.Error));
            for (var i = 0; i < 20; i++)
            {
                await receiver.NextOutcomeAsync();
            }

            Assert.Equal(20, receiver.Receiver.Saved);
            Assert.Equal(files.Select(f => Path.GetFileName(f.Path)).Order(StringComparer.Ordinal), receiver.Entries());
            Assert.All(files, f => Assert.Equal(f.Sha256, receiver.HashOf(Path.GetFileName(f.Path))));
        }
        finally
        {
            TempDirectory.Delete(source);
        }
    }

    [Fact]
    public async Task Send_SameNameTwice_SecondGetsANumberedName_AndTheLogSaysSo()
    {
        await using var receiver = await TestReceiver.StartAsync();
        var source = TempDirectory.Create();
        try
        {
            var first = TransferFiles.Random(source, "report.pdf", 1000);
            Assert.Equal(0, (await CliRun.InvokeAsync("send", receiver.Url.ToString(), first.Path, "--verify")).ExitCode);
            await receiver.NextOutcomeAsync();
            File.WriteAllText(first.Path, "the second report");
            var second = await CliRun.InvokeAsync("send", receiver.Url.ToString(), first.Path, "--verify");
            Assert.Equal(0, second.ExitCode);
            Assert.Contains("saved as report-1.pdf", second.Error, StringComparison.Ordinal);
            Assert.Equal("report-1.pdf", (await receiver.NextOutcomeAsync()).Verdict.Name);
            Assert.Equal(first.Sha256, receiver.HashOf("report.pdf"));
            Assert.Equal("the second report", File.ReadAllText(Path.Combine(receiver.Directory, "report-1.pdf")));
            Assert.Contains(receiver.Log.Messages, m => m.Contains("Saved report-1.pdf", StringComparison.Ordinal) && m.EndsWith("report.pdf already existed", StringComparison.Ordinal));
        }
        finally
        {
            TempDirectory.Delete(source);
        }
    }

    [Fact]
    public async Task SenderKilledMidTransfer_NothingLeftBehind_LogSaysWhy_SenderNonZero()
    {
        await using var receiver = await TestReceiver.StartAsync();
        await using var sender = SockcatProcess.Start(["send", receiver.Url.ToString(), "-", "--verify", "--name", "movie.ts", "-q"]);
        var chunk = new byte[256 * 1024];
        // Enough that the receiver has an upload in progress (with a temporary file) when the sender dies.
        for (var i = 0; i < 16; i++)
        {
            await sender.Stdin.WriteAsync(chunk);
        }

        await sender.Stdin.FlushAsync();
        await receiver.Log.WaitForAsync(_ => receiver.Entries().Length > 0, what: "the temporary file");
        Assert.All(receiver.Entries(), e => Assert.StartsWith(".sockcat-", e, StringComparison.Ordinal));
        Signals.Send(sender.Id, 9);
        var (code, _, _) = await sender.WaitAsync();
        Assert.NotEqual(0, code);

        var outcome = await receiver.NextOutcomeAsync();
        Assert.False(outcome.Verdict.Succeeded);
        Assert.Equal(TransferError.Truncated, outcome.Verdict.Error);
        Assert.Empty(receiver.Entries());
        Assert.Contains(receiver.Log.Messages, m => m.StartsWith("Upload movie.ts from 127.0.0.1:", StringComparison.Ordinal) && System.Text.RegularExpressions.Regex.IsMatch(m, "the upload ended (inside a chunk|before its last chunk)") && m.EndsWith("nothing saved", StringComparison.Ordinal));
    }

    [Fact]
    public async Task ClientResetMidTransfer_NothingLeftBehind_LogSaysReset()
    {
        await using var receiver = await TestReceiver.StartAsync();
        using var client = await receiver.ConnectAsync();
        await client.SendAsync(TransferFiles.Header("video.mp4", 10 << 20));
        await client.SendAsync(new byte[1 << 20]);
        await receiver.Log.WaitForAsync(_ => receiver.Entries().Length > 0, what: "the temporary file");
        client.LingerState = new LingerOption(true, 0);
        client.Close();

        var outcome = await receiver.NextOutcomeAsync();
        Assert.Equal(TransferError.Truncated, outcome.Verdict.Error);
        Assert.Empty(receiver.Entries());
        Assert.Contains(receiver.Log.Messages, m => m.StartsWith("Upload video.mp4 from", StringComparison.Ordinal) && m.Contains("reset", StringComparison.OrdinalIgnoreCase));
    }

    [Fact]
    public async Task ReceiverResetsMidTransfer_SenderExits4WithOneLine()
    {
        using var listener = new TcpListener(System.Net.IPAddress.Loopback, 0);
        listener.Start();
        var source = TempDirectory.Create();
        try
        {
            var (path, _) = TransferFiles.Random(source, "big.bin", 64L << 20);
            var send = CliRun.InvokeAsync("send", $"tcp://127.0.0.1:{((System.Net.IPEndPoint)listener.LocalEndpoint).Port}", path, "--verify");
            using (var peer = await listener.AcceptSocketAsync())
            {
                await peer.SendAsync(TransferWire.Greeting.ToArray());
                var buffer = new byte[1 << 20];
                var total = 0;
                while (total < 1 << 20)
                {
                    total += await peer.ReceiveAsync(buffer);
                }

                peer.LingerState = new LingerOption(true, 0);
            }

            var result = await send;
            Assert.Equal(ExitCodes.ConnectionLost, result.ExitCode);
            var line = Assert.Single(result.Error.Split('\n', StringSplitOptions.RemoveEmptyEntries), l => l.StartsWith("sockcat: the connection", StringComparison.Ordinal));
            Assert.Contains("reset", line, StringComparison.Ordinal);
            Assert.Contains("send it again", line, StringComparison.Ordinal);
        }
        finally
        {
            TempDirectory.Delete(source);
        }
    }

    [Fact]
    public async Task CorruptedTrailer_Refused_SenderToldChecksum_NothingSaved()
    {
        await using var receiver = await TestReceiver.StartAsync();
        var payload = Encoding.ASCII.GetBytes("an important document\n");
        var upload = TransferFiles.Upload("doc.txt", payload);
        upload[^2] = (byte)(upload[^2] == (byte)'0' ? '1' : '0');
        var answer = await ExchangeAsync(receiver, upload);
        Assert.StartsWith("sockcat-recv 1\nfeatures: chunked\nerror checksum ", answer, StringComparison.Ordinal);
        Assert.Equal(TransferError.Checksum, (await receiver.NextOutcomeAsync()).Verdict.Error);
        Assert.Empty(receiver.Entries());
    }

    [Theory]
    [InlineData("../escape.txt")]
    [InlineData("/tmp/absolute.txt")]
    [InlineData("..")]
    [InlineData("sub\\..\\x.txt")]
    [InlineData("bell\u0007.txt")]
    [InlineData("esc\u001b[31m.txt")]
    [InlineData(".profile")]
    public async Task HostileName_RefusedWithNameError_NothingWrittenAnywhere(string name)
    {
        await using var receiver = await TestReceiver.StartAsync();
        var parent = Path.GetDirectoryName(receiver.Directory)!;
        var answer = await ExchangeAsync(receiver, TransferFiles.Upload(name, "x"u8.ToArray()));
        Assert.StartsWith("sockcat-recv 1\nfeatures: chunked\nerror name ", answer, StringComparison.Ordinal);
        Assert.Equal(TransferError.Name, (await receiver.NextOutcomeAsync()).Verdict.Error);
        Assert.Empty(receiver.Entries());
        Assert.False(File.Exists(Path.Combine(parent, "escape.txt")));
    }

    [Fact]
    public async Task LongName_Over255Bytes_Refused()
    {
        await using var receiver = await TestReceiver.StartAsync();
        var answer = await ExchangeAsync(receiver, TransferFiles.Upload(new string('n', 256), "x"u8.ToArray()));
        Assert.Contains("error name the name is 256 bytes long", answer, StringComparison.Ordinal);
        Assert.Empty(receiver.Entries());
    }

    [Fact]
    public async Task SymlinkInDir_NeverFollowed_NumberedNameOrReplacedLink()
    {
        var outside = TempDirectory.Create();
        try
        {
            var victim = Path.Combine(outside, "victim.txt");
            File.WriteAllText(victim, "keep me");
            await using (var receiver = await TestReceiver.StartAsync())
            {
                File.CreateSymbolicLink(Path.Combine(receiver.Directory, "notes.txt"), victim);
                Directory.CreateSymbolicLink(Path.Combine(receiver.Directory, "out"), outside);
                var answer = await ExchangeAsync(receiver, TransferFiles.Upload("notes.txt", "attack"u8.ToArray()));
                Assert.Contains(" notes-1.txt\n", answer, StringComparison.Ordinal);
                Assert.Equal("keep me", File.ReadAllText(victim));
                Assert.Equal(victim, new FileInfo(Path.Combine(receiver.Directory, "notes.txt")).LinkTarget);

                // "out" is a link to a directory: a name with a slash is refused before any path is made of it.
                Assert.Contains("error name", await ExchangeAsync(receiver, TransferFiles.Upload("out/victim.txt", "attack"u8.ToArray())), StringComparison.Ordinal);
                Assert.Equal("keep me", File.ReadAllText(victim));
            }

            await using (var receiver = await TestReceiver.StartAsync(o => o.Overwrite = true))
            {
                var link = Path.Combine(receiver.Directory, "notes.txt");
                File.CreateSymbolicLink(link, victim);
                var answer = await ExchangeAsync(receiver, TransferFiles.Upload("notes.txt", "replaced"u8.ToArray()));
                Assert.Contains(" notes.txt\n", answer, StringComparison.Ordinal);
                Assert.Equal("keep me", File.ReadAllText(victim));
                Assert.Null(new FileInfo(link).LinkTarget);
                Assert.Equal("replaced", File.ReadAllText(link));
            }
        }
        finally
        {
            TempDirectory.Delete(outside);
        }
    }

    [Fact]
    public async Task MaxSize_DeclaredSizeOver_SenderExits7WithTheReason()
    {
        await using var receiver = await TestReceiver.StartAsync(o => o.MaxSize = 1000);
        var source = TempDirectory.Create();
        try
        {
            var (path, _) = TransferFiles.Random(source, "big.bin", 4L << 20);
            var result = await CliRun.InvokeAsync("send", receiver.Url.ToString(), path, "--verify", "-q");
            Assert.Equal(ExitCodes.TransferFailed, result.ExitCode);
            Assert.Contains("refused big.bin: 4194304 bytes is over the receiver's limit of 1000 bytes (too-large)", result.Error, StringComparison.Ordinal);
            Assert.Equal(TransferError.TooLarge, (await receiver.NextOutcomeAsync()).Verdict.Error);
            Assert.Empty(receiver.Entries());
        }
        finally
        {
            TempDirectory.Delete(source);
        }
    }

    [Fact]
    public async Task MaxSize_StreamWithoutSize_RefusedOncePassed()
    {
        await using var receiver = await TestReceiver.StartAsync(o => o.MaxSize = 100_000);
        var result = await CliRun.InvokeAsync(new byte[300_000], "send", receiver.Url.ToString(), "-", "--verify", "--name", "s.bin", "-q");
        Assert.Equal(ExitCodes.TransferFailed, result.ExitCode);
        Assert.Contains("(too-large)", result.Error, StringComparison.Ordinal);
        Assert.Empty(receiver.Entries());
    }

    [Fact]
    public async Task NcUpload_NoHeader_SavedAsAJob()
    {
        await using var receiver = await TestReceiver.StartAsync();
        var source = TempDirectory.Create();
        try
        {
            var (path, sha) = TransferFiles.Random(source, "print.pcl", 3 << 20);
            var nc = await Peers.RunAsync("nc", ["-N", "127.0.0.1", receiver.Port.ToString()], File.ReadAllBytes(path));
            Assert.Equal(0, nc.ExitCode);
            var outcome = await receiver.NextOutcomeAsync();
            Assert.False(outcome.Verified);
            var job = Assert.Single(receiver.Entries());
            Assert.Matches(@"^job-\d{8}-\d{6}-\d{3}-127\.0\.0\.1_\d+\.bin$", job);
            Assert.Equal(sha, receiver.HashOf(job));
            Assert.Equal($"sockcat-recv 1\nfeatures: chunked\nok {3 << 20} {sha} {job}\n", nc.Stdout);
        }
        finally
        {
            TempDirectory.Delete(source);
        }
    }

    private static async Task<string> ExchangeAsync(TestReceiver receiver, byte[] upload)
    {
        using var client = await receiver.ConnectAsync();
        await client.SendAsync(upload);
        client.Shutdown(SocketShutdown.Send);
        var answer = new MemoryStream();
        var buffer = new byte[4096];
        int n;
        while ((n = await client.ReceiveAsync(buffer)) > 0)
        {
            answer.Write(buffer, 0, n);
        }

        return Encoding.UTF8.GetString(answer.ToArray());
    }
}
