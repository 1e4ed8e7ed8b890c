using System.Runtime.InteropServices;

namespace SockCat.Cli;

/// <summary>
/// stdout when it is a regular file: each write is write(2), at the end of what was written through the shared open
/// file. .NET's FileStream writes a seekable file with pwrite(2) at an offset of its own, which neither sees what the
/// commands around sockcat wrote to the same redirection (`{ echo header; sockcat connect …; echo footer; } > log`)
/// nor moves the shared offset: the next command's output overwrote sockcat's.
/// </summary>
internal sealed partial class FileDescriptorWriter(int fd) : Stream
{
    private const int Eintr = 4;

    public override bool CanRead => false;

    public override bool CanSeek => false;

    public override bool CanWrite => true;

    public override long Length => throw new NotSupportedException();

    public override long Position
    {
        get => throw new NotSupportedException();
        set => throw new NotSupportedException();
    }

    public override unsafe void Write(ReadOnlySpan<byte> buffer)
    {
        fixed (byte* start = buffer)
        {
            var done = 0;
            while (done < buffer.Length)
            {
                var written = WriteFd(fd, start + done, buffer.Length - done);
                if (written < 0)
                {
                    var errno = Marshal.GetLastPInvokeError();
                    if (errno == Eintr)
                    {
                        continue;
                    }

                    // HResult carries the errno, as FileStream's errors do on Unix: BridgeReport names it (ENOSPC, EPIPE).
                    throw new IOException(Marshal.GetPInvokeErrorMessage(errno), errno);
                }

                done += (int)written;
            }
        }
    }

    public override void Write(byte[] buffer, int offset, int count) => Write(buffer.AsSpan(offset, count));

    // A write to a regular file waits for no reader: done in place, as FileStream's synchronous path does.
    public override ValueTask WriteAsync(ReadOnlyMemory<byte> buffer, CancellationToken cancellationToken = default)
    {
        cancellationToken.ThrowIfCancellationRequested();
        Write(buffer.Span);
        return ValueTask.CompletedTask;
    }

    public override Task WriteAsync(byte[] buffer, int offset, int count, CancellationToken cancellationToken) =>
        WriteAsync(buffer.AsMemory(offset, count), cancellationToken).AsTask();

    public override void Flush()
    {
    }

    public override Task FlushAsync(CancellationToken cancellationToken) => Task.CompletedTask;

    public override int Read(byte[] buffer, int offset, int count) => throw new NotSupportedException();

    public override long Seek(long offset, SeekOrigin origin) => throw new NotSupportedException();

    public override void SetLength(long value) => throw new NotSupportedException();

    [LibraryImport("libc", EntryPoint = "write", SetLastError = true)]
    private static unsafe partial nint WriteFd(int fd, byte* buffer, nint count);
}
