namespace SockCat.Services.Exec;

/// <summary>One viewer of a broadcast program, whatever carries it.</summary>
internal interface IExecViewer
{
    /// <summary>
    /// Hands the viewer a line, from the program's reader: must not block, and must not queue without bound (a viewer
    /// that is behind drops the line and counts it, and says how many it missed when it catches up).
    /// </summary>
    void Deliver(ExecLine line);

    /// <summary>
    /// Hands the viewer the lines of one read of the program's output, in order, under the same rules as
    /// <see cref="Deliver"/>: a viewer that reaches its client by posting posts once for them all, not once a line.
    /// </summary>
    void DeliverBatch(IReadOnlyList<ExecLine> lines)
    {
        foreach (var line in lines)
        {
            Deliver(line);
        }
    }

    /// <summary>The program has exited for good (no restart): close after the lines delivered.</summary>
    void Ended();

    /// <summary>A chunk of this viewer's input was taken by the program's stdin: read more from it.</summary>
    void InputTaken();
}
