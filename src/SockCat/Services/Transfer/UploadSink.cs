using System.Buffers;
using System.Security.Cryptography;
using System.Threading.Channels;
using SockCat.Server;

namespace SockCat.Services.Transfer;

/// <summary>
/// Where one upload's payload goes: the decoder writes into pooled chunks on the connection's thread (this is its
/// <see cref="IBufferWriter{T}"/>), full chunks go to a task off the loop that hashes them and writes them to the
/// temporary file (or the output), and the end commits or deletes it. The bytes between the two are bounded: past
/// <see cref="ReceiveOptions.MaxQueuedBytes"/> the protocol pauses reading, and the writer resumes it through
/// <see cref="IConnection.Post(Action{IConnection, object}, object)"/> once it is back under half.
/// </summary>
internal sealed class UploadSink : IBufferWriter<byte>
{
    public const int ChunkSize = 256 * 1024;

    private readonly UploadReceiver _receiver;
    private readonly ReceiveProtocol _protocol;
    private readonly IConnection _connection;
    private readonly string _jobName;
    private readonly Channel<(byte[] Buffer, int Length)> _chunks =
        Channel.CreateUnbounded<(byte[], int)>(new UnboundedChannelOptions { SingleReader = true, SingleWriter = true });
    private readonly Queue<(byte[] Buffer, int Length)> _full = new();
    private byte[]? _current;
    private int _currentLength;
    private long _queued;
    private int _resumeWanted;
    private Task? _writer;
    private string? _name;
    private long? _size;

    // Set before the channel completes; read by the writer after it drains.
    private byte[]? _expected;
    private (string Error, string Message)? _ending;
    private volatile bool _aborted;

    public UploadSink(UploadReceiver receiver, ReceiveProtocol protocol, IConnection connection, string jobName)
    {
        _receiver = receiver;
        _protocol = protocol;
        _connection = connection;
        _jobName = jobName;
    }

    private int High => _receiver.Options.MaxQueuedBytes;

    /// <summary>The header's name and size; before the first chunk is submitted.</summary>
    public void Describe(string? name, long? size)
    {
        _name = name;
        _size = size;
    }

    public void Advance(int count)
    {
        _currentLength += count;
        if (_currentLength == ChunkSize)
        {
            _full.Enqueue((_current!, _currentLength));
            _current = null;
            _currentLength = 0;
        }
    }

    public Memory<byte> GetMemory(int sizeHint = 0) => Current(sizeHint).AsMemory(_currentLength);

    public Span<byte> GetSpan(int sizeHint = 0) => Current(sizeHint).AsSpan(_currentLength);

    /// <summary>Hands full chunks to the writer; true when the writer is now over its bound (pause reading).</summary>
    public bool SubmitFull()
    {
        while (_full.TryDequeue(out var chunk))
        {
            Submit(chunk);
        }

        return Interlocked.Read(ref _queued) > High;
    }

    /// <summary>After a pause: asks the writer to resume reading once it is under half; true when it already is.</summary>
    public bool RequestResume()
    {
        Volatile.Write(ref _resumeWanted, 1);
        return Interlocked.Read(ref _queued) <= High / 2 && Interlocked.Exchange(ref _resumeWanted, 0) == 1;
    }

    /// <summary>The input ended: write what is left, then verify against <paramref name="expected"/> and commit, or fail with <paramref name="problem"/>.</summary>
    public void Complete(byte[]? expected, (string Error, string Message)? problem)
    {
        SubmitFull();
        if (_currentLength > 0)
        {
            Submit((_current!, _currentLength));
            _current = null;
            _currentLength = 0;
        }

        _expected = expected;
        _ending = problem;
        EnsureWriter();
        _chunks.Writer.TryComplete();
    }

    /// <summary>The upload will not be stored: the writer drops what is queued and deletes the temporary file.</summary>
    public void Abort(string error, string message)
    {
        if (_ending is not null || _aborted)
        {
            return;
        }

        _ending = (error, message);
        _aborted = true;
        if (_current is not null)
        {
            ArrayPool<byte>.Shared.Return(_current);
            _current = null;
        }

        while (_full.TryDequeue(out var chunk))
        {
            ArrayPool<byte>.Shared.Return(chunk.Buffer);
        }

        EnsureWriter();
        _chunks.Writer.TryComplete();
    }

    private byte[] Current(int sizeHint)
    {
        if (_current is not null && ChunkSize - _currentLength < Math.Max(sizeHint, 1))
        {
            _full.Enqueue((_current, _currentLength));
            _current = null;
            _currentLength = 0;
        }

        return _current ??= ArrayPool<byte>.Shared.Rent(ChunkSize);
    }

    private void Submit((byte[] Buffer, int Length) chunk)
    {
        EnsureWriter();
        Interlocked.Add(ref _queued, chunk.Length);
        _chunks.Writer.TryWrite(chunk);
    }

    private void EnsureWriter() => _writer ??= Task.Run(WriteAsync);

    private async Task WriteAsync()
    {
        var toFile = _receiver.Options.Output is null;
        var name = _name ?? _jobName;
        using var hash = IncrementalHash.CreateHash(HashAlgorithmName.SHA256);
        UploadFile? file = null;
        long written = 0;
        (string Error, string Message)? failure = null;
        TransferVerdict verdict;
        try
        {
            await foreach (var (buffer, length) in _chunks.Reader.ReadAllAsync().ConfigureAwait(false))
            {
                try
                {
                    if (!_aborted && failure is null)
                    {
                        var data = buffer.AsSpan(0, length);
                        hash.AppendData(data);
                        if (toFile)
                        {
                            file ??= UploadFile.Create(_receiver.Directory!, _size);
                            file.Write(data);
                        }
                        else
                        {
                            _receiver.Options.Output!.Write(data);
                        }

                        written += length;
                    }
                }
                catch (Exception e) when (e is IOException or UnauthorizedAccessException)
                {
                    failure = Describe(e, toFile);
                    _connection.Post(static (c, s) =>
                    {
                        var (protocol, failure) = ((ReceiveProtocol, (string, string)))s!;
                        protocol.WriteFailed(c, failure.Item1, failure.Item2);
                    }, (_protocol, failure.Value));
                }
                finally
                {
                    ArrayPool<byte>.Shared.Return(buffer);
                    Released(length);
                }
            }

            var digest = hash.GetHashAndReset();
            var ending = failure ?? _ending;
            if (ending is null && _expected is { } expected && !expected.AsSpan().SequenceEqual(digest))
            {
                ending = (TransferError.Checksum, $"the bytes hash to sha256 {Convert.ToHexStringLower(digest)}, not the trailer's {Convert.ToHexStringLower(expected)}");
            }

            if (ending is { } problem)
            {
                verdict = TransferVerdict.Refused(problem.Error, problem.Message);
            }
            else
            {
                var stored = "-";
                if (toFile)
                {
                    try
                    {
                        file ??= UploadFile.Create(_receiver.Directory!, _size);
                        stored = file.Commit(name, _receiver.Options.Overwrite);
                    }
                    catch (Exception e) when (e is IOException or UnauthorizedAccessException)
                    {
                        var (error, message) = Describe(e, toFile);
                        verdict = TransferVerdict.Refused(error, message);
                        Finish(verdict);
                        return;
                    }
                }
                else
                {
                    _receiver.Options.Output!.Flush();
                }

                verdict = TransferVerdict.Saved(stored, written, Convert.ToHexStringLower(digest));
            }
        }
        finally
        {
            file?.Dispose();
        }

        Finish(verdict);
    }

    private void Finish(TransferVerdict verdict)
    {
        _receiver.Report(new UploadOutcome(_connection.RemoteEndPoint, _name, verdict, verdict.Succeeded && _expected is not null), _name ?? _jobName, _name ?? _jobName);
        if (!_aborted)
        {
            _connection.Post(static (c, s) => ReceiveProtocol.SendVerdict(c, (TransferVerdict)s!), verdict);
        }
    }

    private void Released(int length)
    {
        if (Interlocked.Add(ref _queued, -length) <= High / 2 && Volatile.Read(ref _resumeWanted) == 1 && Interlocked.Exchange(ref _resumeWanted, 0) == 1)
        {
            _connection.Post(static (c, s) => ((ReceiveProtocol)s!).Resume(c), _protocol);
        }
    }

    private static (string Error, string Message) Describe(Exception e, bool toFile)
    {
        // ENOSPC (28) and EDQUOT (122): .NET puts errno in the low bits of HResult on Unix; the message names it too.
        var code = e.HResult & 0xFFFF;
        if (code is 28 or 122 || e.Message.Contains("No space left", StringComparison.OrdinalIgnoreCase) || e.Message.Contains("disk was full", StringComparison.OrdinalIgnoreCase))
        {
            return (TransferError.DiskFull, "the receiver's disk is full");
        }

        return (TransferError.Failed, toFile ? $"the receiver could not store the upload: {e.Message}" : $"the receiver could not pass the upload on: {e.Message}");
    }
}
