namespace SockCat.Bench;

/// <summary>The phase of a run as the coordinator sets it; the loop threads read it once per turn of their loop.</summary>
internal enum BenchPhase
{
    /// <summary>Connections open and traffic flows; nothing is recorded yet (warm-up), or this is a conns run.</summary>
    Run = 0,

    /// <summary>Messages, bytes and latencies are recorded.</summary>
    Measure = 1,

    /// <summary>No new message is sent; echoes still in flight are received and verified.</summary>
    Stop = 2,

    /// <summary>Echoes still missing are counted as errors, every socket is closed, the loop returns.</summary>
    Exit = 3,
}

/// <summary>What the coordinator tells every loop thread; written by one thread, read by the loops.</summary>
internal sealed class BenchControl
{
    private volatile int _phase;
    private volatile int _checkRound;

    public BenchPhase Phase
    {
        get => (BenchPhase)_phase;
        set => _phase = (int)value;
    }

    /// <summary>Conns mode: each increment asks every open connection to echo one more byte.</summary>
    public int CheckRound
    {
        get => _checkRound;
        set => _checkRound = value;
    }
}
