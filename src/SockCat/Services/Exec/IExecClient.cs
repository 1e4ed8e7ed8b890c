namespace SockCat.Services.Exec;

/// <summary>
/// The client end of an <see cref="ExecSession"/>, whatever carries it (a byte stream, a WebSocket): where the
/// program's output goes, with backpressure, and how the session tells it the program's output or life has ended.
/// </summary>
internal interface IExecClient
{
    /// <summary>The client's address as log lines print it.</summary>
    string Peer { get; }

    /// <summary>Sends output; completes when there is room for more. False: the client is gone.</summary>
    ValueTask<bool> WriteOutputAsync(ReadOnlyMemory<byte> data, bool stderr, CancellationToken cancellationToken);

    /// <summary>
    /// Carries one of the program's output pipes (<paramref name="stderr"/>: its stderr, merged) to the client until it ends: by default <paramref name="pump"/>, which
    /// reads it off the loop and calls <see cref="WriteOutputAsync"/>; a client whose connection can read the pipe on its
    /// own thread reads it there instead, with no thread between the pipe and the peer.
    /// </summary>
    Task CarryOutputAsync(Stream source, bool stderr, Func<Task> pump) => pump();

    /// <summary>
    /// Carries the client's input to the program's stdin until it ends: by default <paramref name="pump"/>, which writes
    /// what <see cref="ExecSession.Input"/> queued off the loop; a client whose connection can write the pipe on its own
    /// thread writes it there instead, as the bytes arrive. Completes once the one or the other has taken over.
    /// </summary>
    Task CarryInputAsync(Stream stdin, Func<Task> pump) => pump();

    /// <summary>The program's output has ended (it closed stdout): half-close where the transport can.</summary>
    void OutputEnded();

    /// <summary>The program has exited with <paramref name="code"/> and all its output is sent: close.</summary>
    void Exited(int code);

    /// <summary>A chunk of input was taken by the program's stdin: read more from the client.</summary>
    void InputTaken();

    /// <summary>The program could not be started: tell the client in one line and close.</summary>
    void Fail(string line);
}
