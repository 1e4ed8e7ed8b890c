namespace SockCat.Cli.Tests.Transfer;

public class DiskFullTests
{
    [Theory]
    [InlineData(false)]
    [InlineData(true)]
    public async Task Recv_DiskFills_SenderToldDiskFull_Exit7_NothingSaved(bool fromStdin)
    {
        // A 1 MiB tmpfs of the receiver's own (a private mount namespace, as ProcessTests does for DNS): a real ENOSPC.
        // With a size the space is reserved up front (it fails at once); from stdin it fails when the disk fills.
        var directory = TempDirectory.Create();
        var source = TempDirectory.Create();
        try
        {
            await using var recv = SockcatProcess.Start(
                ["recv", "tcp://127.0.0.1:0", "--dir", directory],
                ["unshare", "--user", "--map-root-user", "--mount", "sh", "-c", $"mount -t tmpfs -o size=1m tmpfs {directory} && exec \"$0\" \"$@\""]);
            var port = await ReadPortAsync(recv);
            var (path, _) = TransferFiles.Random(source, "big.bin", 4 << 20);
            var result = fromStdin
                ? await CliRun.InvokeAsync(await File.ReadAllBytesAsync(path), "send", $"tcp://127.0.0.1:{port}", "-", "--verify", "--name", "big.bin", "-q")
                : await CliRun.InvokeAsync("send", $"tcp://127.0.0.1:{port}", path, "--verify", "-q");
            Assert.Equal(ExitCodes.TransferFailed, result.ExitCode);
            Assert.Equal("sockcat: tcp://127.0.0.1:" + port + " refused big.bin: the receiver's disk is full (disk-full); the receiver needs free space before it can take this\n", result.Error);
            Signals.Send(recv.Id, Signals.SigTerm);
            var (code, stdout, stderr) = await recv.WaitAsync();
            Assert.Equal(0, code);
            Assert.Contains("sockcat: Upload big.bin from 127.0.0.1:", stderr, StringComparison.Ordinal);
            Assert.Contains("failed: the receiver's disk is full; nothing saved", stderr, StringComparison.Ordinal);
        }
        finally
        {
            TempDirectory.Delete(directory);
            TempDirectory.Delete(source);
        }
    }

    private static async Task<int> ReadPortAsync(SockcatProcess process)
    {
        using var cts = new CancellationTokenSource(CliRun.TestTimeout);
        while (await process.Stderr.ReadLineAsync(cts.Token) is { } line)
        {
            if (line.StartsWith("sockcat: listening on tcp://127.0.0.1:", StringComparison.Ordinal))
            {
                return int.Parse(line["sockcat: listening on tcp://127.0.0.1:".Length..]);
            }
        }

        throw new InvalidOperationException("recv ended before it listened");
    }
}
