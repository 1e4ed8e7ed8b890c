namespace SockCat.Streams;

/// <summary>How a <see cref="StreamBridge"/> ended, and what it moved.</summary>
/// <param name="Outcome">Why it ended.</param>
/// <param name="BytesSent">Bytes written to the peer.</param>
/// <param name="BytesReceived">Bytes read from the peer (written to the output, or discarded when it does not receive).</param>
/// <param name="InputEnded">True when the input reached its end.</param>
/// <param name="PeerEnded">True when the peer's end of stream was read.</param>
/// <param name="Error">For <see cref="StreamBridgeOutcome.PeerFailed"/>, <see cref="StreamBridgeOutcome.InputFailed"/> and <see cref="StreamBridgeOutcome.OutputFailed"/>, the exception that ended it.</param>
public sealed record StreamBridgeResult(
    StreamBridgeOutcome Outcome,
    long BytesSent,
    long BytesReceived,
    bool InputEnded,
    bool PeerEnded,
    Exception? Error = null);
