namespace SockCat.Streams;

/// <summary>How a <see cref="StreamBridge"/> ended.</summary>
public enum StreamBridgeOutcome
{
    /// <summary>Both directions ended: the input's bytes were all sent (and the peer half-closed), and the peer's end of stream was read and written out.</summary>
    Completed,

    /// <summary>No byte moved either way for <see cref="StreamBridgeOptions.IdleTimeout"/>.</summary>
    IdleTimeout,

    /// <summary>The input ended and <see cref="StreamBridgeOptions.QuitAfterInputEnd"/> passed before the peer's end.</summary>
    QuitAfterInputEnd,

    /// <summary>The peer ended while nothing waited to be sent, and <see cref="StreamBridgeOptions.EndWhenPeerEndsWhileInputWaits"/> asked to stop there.</summary>
    PeerEndedWhileInputWaited,

    /// <summary>Reading from, writing to or half-closing the peer failed (reset, broken pipe): what was sent may be incomplete. See <see cref="StreamBridgeResult.Error"/>.</summary>
    PeerFailed,

    /// <summary>Reading the input failed. See <see cref="StreamBridgeResult.Error"/>.</summary>
    InputFailed,

    /// <summary>Writing the peer's bytes to the output failed (a closed pipe, a full disk): what was received may be incomplete. See <see cref="StreamBridgeResult.Error"/>.</summary>
    OutputFailed,

    /// <summary>The caller's cancellation token ended the bridge.</summary>
    Cancelled,
}
