using System.Text;

namespace SockCat.Services.Exec;

/// <summary>What a line of a broadcast is: the program's stdout, its stderr, or the news that it exited.</summary>
internal enum ExecLineKind
{
    Stdout,
    Stderr,
    Exit,
}

/// <summary>
/// One line of the broadcast program's output, numbered in the order published (the number is the Server-Sent
/// Events id a reconnecting viewer resumes from). <see cref="Bytes"/> ends with its newline, as a byte-stream viewer
/// gets it; <see cref="Text"/> is without it, as a WebSocket message or an event's data.
/// </summary>
internal sealed class ExecLine(long sequence, ExecLineKind kind, byte[] bytes, int? exitCode = null)
{
    private string? _text;

    public long Sequence { get; } = sequence;

    public ExecLineKind Kind { get; } = kind;

    public byte[] Bytes { get; } = bytes;

    /// <summary>The program's exit code, for <see cref="ExecLineKind.Exit"/>.</summary>
    public int? ExitCode { get; } = exitCode;

    public string Text => _text ??= Encoding.UTF8.GetString(Bytes.AsSpan().TrimEnd("\r\n"u8));
}
