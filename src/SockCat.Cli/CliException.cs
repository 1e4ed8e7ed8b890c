namespace SockCat.Cli;

/// <summary>A failure already worded for the user (<c>what happened; what to do</c>), with the exit code scripts read.</summary>
internal sealed class CliException(string message, int exitCode, Exception? inner = null) : Exception(message, inner)
{
    public int ExitCode { get; } = exitCode;
}
