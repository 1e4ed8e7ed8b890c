namespace SockCat.Cli;

/// <summary>
/// Where `connect` and `listen` read stdin and write stdout: the raw process streams (no encoding, no line buffering,
/// so bytes pass unchanged), or streams a test substitutes for the duration of one call with <see cref="Use"/>.
/// </summary>
internal sealed class ConsoleStreams(Func<Stream> openInput, Func<Stream> openOutput)
{
    // AsyncLocal so that tests running in parallel each see their own streams.
    private static readonly AsyncLocal<ConsoleStreams?> Override = new();

    public static ConsoleStreams Default { get; } = new(Console.OpenStandardInput, OpenStandardOutput);

    public static ConsoleStreams Current => Override.Value ?? Default;

    public Stream OpenInput() => openInput();

    public Stream OpenOutput() => openOutput();

    /// <summary>
    /// Stdout as a plain file descriptor: .NET's console stream pretends a write to a closed pipe succeeded (EPIPE), and
    /// sockcat must know its reader went away (`sockcat connect … | head`) to stop instead of reading on for nobody.
    /// A regular file is written with write(2), not FileStream's pwrite at an offset of its own (FileDescriptorWriter).
    /// </summary>
    private static Stream OpenStandardOutput()
    {
        if (OperatingSystem.IsWindows())
        {
            return Console.OpenStandardOutput();
        }

        var stream = new FileStream(new Microsoft.Win32.SafeHandles.SafeFileHandle(1, ownsHandle: false), FileAccess.Write, bufferSize: 0);
        return stream.CanSeek ? new FileDescriptorWriter(1) : stream;
    }

    /// <summary>Makes <paramref name="input"/> and <paramref name="output"/> the console for this async flow until disposed.</summary>
    public static IDisposable Use(Stream input, Stream output)
    {
        var previous = Override.Value;
        Override.Value = new ConsoleStreams(() => input, () => output);
        return new Restore(previous);
    }

    private sealed class Restore(ConsoleStreams? previous) : IDisposable
    {
        public void Dispose() => Override.Value = previous;
    }
}
