namespace SockCat.Cli;

/// <summary>
/// Where `connect` and `listen` read stdin and write stdout: the raw process streams (no encoding, no line buffering,
/// so bytes pass unchanged), or streams a test substitutes for the duration of one call with <see cref="Use"/>.
/// </summary>
internal sealed class ConsoleStreams(Func<Stream> openInput, Func<Stream> openOutput)
{
    // AsyncLocal so that tests running in parallel each see their own streams.
    private static readonly AsyncLocal<ConsoleStreams?> Override = new();

    public static ConsoleStreams Default { get; } = new(Console.OpenStandardInput, Console.OpenStandardOutput);

    public static ConsoleStreams Current => Override.Value ?? Default;

    public Stream OpenInput() => openInput();

    public Stream OpenOutput() => openOutput();

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
