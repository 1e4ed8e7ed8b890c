using SockCat.Cli.Transfer;

namespace SockCat.Cli.Tests.Transfer;

public class SendProgressTests
{
    [Fact]
    public void Line_KnownSize_BytesPercentRateAndTimeLeft()
    {
        Assert.Equal("sockcat: sent 512.0 MiB of 1.00 GiB (50%), 256.0 MiB/s, 2 s left", SendProgress.Line(512L << 20, 1L << 30, 256 << 20));
        Assert.Equal("sockcat: sent 1.5 KiB, 10 B/s", SendProgress.Line(1536, null, 10));
    }

    [Fact]
    public async Task Send_StderrNotATerminal_PlainProgressLineEverySecond_NoneWithQuiet()
    {
        await using var receiver = await TestReceiver.StartAsync();
        var (run, error) = (default(Task<CliResult>)!, default(SyncWriter)!);
        // stdin keeps coming until sockcat has printed a progress line, then ends: the line is awaited, not timed.
        var stdin = new UntilStream(() => error?.Text.Contains("sockcat: sent ", StringComparison.Ordinal) == true);
        (run, error) = CliRun.Start(stdin, CancellationToken.None, "send", receiver.Url.ToString(), "-", "--verify", "--name", "live.ts");
        var result = await run.WaitAsync(CliRun.TestTimeout);
        Assert.True(result.ExitCode == 0, result.Error);
        Assert.Matches(@"(?m)^sockcat: sent \d+\.\d (KiB|MiB), [\d.]+ (B|KiB|MiB|GiB)/s$", result.Error);

        var quiet = await CliRun.InvokeAsync(new byte[1000], "send", receiver.Url.ToString(), "-", "--verify", "--name", "q.ts", "-q");
        Assert.Equal(0, quiet.ExitCode);
        Assert.Equal("", quiet.Error);
    }

    /// <summary>Yields 64 KiB at a time, a few milliseconds apart, until the condition holds.</summary>
    private sealed class UntilStream(Func<bool> done) : Stream
    {
        public override bool CanRead => true;

        public override bool CanSeek => false;

        public override bool CanWrite => false;

        public override long Length => throw new NotSupportedException();

        public override long Position { get => throw new NotSupportedException(); set => throw new NotSupportedException(); }

        public override async ValueTask<int> ReadAsync(Memory<byte> buffer, CancellationToken cancellationToken = default)
        {
            if (done())
            {
                return 0;
            }

            await Task.Delay(5, cancellationToken);
            return Math.Min(buffer.Length, 64 * 1024);
        }

        public override int Read(byte[] buffer, int offset, int count) => ReadAsync(buffer.AsMemory(offset, count)).AsTask().GetAwaiter().GetResult();

        public override void Flush()
        {
        }

        public override long Seek(long offset, SeekOrigin origin) => throw new NotSupportedException();

        public override void SetLength(long value) => throw new NotSupportedException();

        public override void Write(byte[] buffer, int offset, int count) => throw new NotSupportedException();
    }
}
