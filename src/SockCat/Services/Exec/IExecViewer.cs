namespace SockCat.Services.Exec;

/// <summary>One viewer of a broadcast program, whatever carries it.</summary>
internal interface IExecViewer
{
    /// <summary>
    /// Hands the viewer a line, from the program's reader: must not block, and must not queue without bound (a viewer
    /// that is behind drops the line and counts it, and says how many it missed when it catches up).
    /// </summary>
    void Deliver(ExecLine line);

    /// <summary>The program has exited for good (no restart): close after the lines delivered.</summary>
    void Ended();

    /// <summary>A chunk of this viewer's input was taken by the program's stdin: read more from it.</summary>
    void InputTaken();
}
