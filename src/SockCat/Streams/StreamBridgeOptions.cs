namespace SockCat.Streams;

/// <summary>How a <see cref="StreamBridge"/> runs: its buffers, when it gives up, and which directions it carries.</summary>
public sealed record StreamBridgeOptions
{
    /// <summary>The default <see cref="BufferSize"/>: 64 KiB, the most one socket read usually returns on Linux loopback.</summary>
    public const int DefaultBufferSize = 64 * 1024;

    /// <summary>
    /// The buffer of each direction, in bytes. A direction reads into its buffer and writes it out before it reads
    /// again, so the bridge holds at most twice this, however fast one side is and however slow the other.
    /// Defaults to <see cref="DefaultBufferSize"/>.
    /// </summary>
    public int BufferSize { get; init; } = DefaultBufferSize;

    /// <summary>End the bridge (<see cref="StreamBridgeOutcome.IdleTimeout"/>) when no byte moves either way for this long. Defaults to null: no limit.</summary>
    public TimeSpan? IdleTimeout { get; init; }

    /// <summary>
    /// After the input's end, wait at most this long for the peer's end, then end the bridge
    /// (<see cref="StreamBridgeOutcome.QuitAfterInputEnd"/>), as <c>nc -q</c> does; <see cref="TimeSpan.Zero"/> ends it
    /// as soon as the input's bytes are sent. Defaults to null: wait for the peer's end however long it takes.
    /// </summary>
    public TimeSpan? QuitAfterInputEnd { get; init; }

    /// <summary>
    /// Half-close the peer (shut down its send side, so it reads end of stream) when the input ends, while its bytes
    /// are still received. False leaves the connection open both ways, as <c>ncat --no-shutdown</c> does: for peers that
    /// take a half-close for a hang-up. Defaults to true.
    /// </summary>
    public bool HalfClose { get; init; } = true;

    /// <summary>
    /// Carry the input to the peer. False never reads the input nor half-closes (<c>ncat --recv-only</c>); the bridge
    /// then ends with the peer's end. Defaults to true.
    /// </summary>
    public bool Send { get; init; } = true;

    /// <summary>
    /// Carry the peer's bytes to the output. False reads and discards them (<c>ncat --send-only</c>), counted in
    /// <see cref="StreamBridgeResult.BytesReceived"/>; the bridge then ends when the input has been sent. Defaults to true.
    /// </summary>
    public bool Receive { get; init; } = true;

    /// <summary>
    /// When the peer's end arrives while the send direction is waiting for input (holding nothing unsent), stop waiting
    /// and end the bridge. The pending read on the input is cancelled through its token; an input that keeps such a read
    /// for its next caller (a console shared by one client after another) loses nothing. Defaults to false: the send
    /// direction runs to the input's end, as nc and ncat do.
    /// </summary>
    public bool EndWhenPeerEndsWhileInputWaits { get; init; }

    /// <summary>Told of every chunk sent to or received from the peer, as it moves (a <see cref="TrafficDump"/>, say). Defaults to null.</summary>
    public ITrafficObserver? Traffic { get; init; }
}
