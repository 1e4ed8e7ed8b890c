namespace SockCat.Bench;

/// <summary>What went wrong during a run, by kind; each kind is a count, and the first of each is kept as text.</summary>
public sealed class BenchErrors
{
    /// <summary>Connects refused, reset, timed out, or out of local ports or file descriptors.</summary>
    public long Connect;

    /// <summary>Connections the server closed or reset while the run still used them.</summary>
    public long Closed;

    /// <summary>Echoed bytes that differed from what was sent (content or position), or more bytes than were sent.</summary>
    public long Verify;

    /// <summary>Echoes still missing when the run ended, and echo checks that got no answer in time.</summary>
    public long Timeout;

    public string? First;

    public long Total => Connect + Closed + Verify + Timeout;

    public void Note(string message) => First ??= message;

    public void Add(BenchErrors other)
    {
        Connect += other.Connect;
        Closed += other.Closed;
        Verify += other.Verify;
        Timeout += other.Timeout;
        First ??= other.First;
    }
}
