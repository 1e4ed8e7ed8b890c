namespace SockCat.Streams;

/// <summary>How a <see cref="WebSocketBridge"/> turns a byte stream into messages and back.</summary>
public sealed record WebSocketBridgeOptions
{
    /// <summary>
    /// False (the default, websocat's text mode): each line of the input (up to <c>\n</c>, which is not sent; a <c>\r</c>
    /// before it is dropped too) is one text message, and each message received is written with a <c>\n</c> after it.
    /// True: each read of the input is one binary message, and messages are written as they came, nothing added.
    /// </summary>
    public bool Binary { get; init; }

    /// <summary>Size of the buffer each direction reads into; a longer line goes out as several frames of one message. Defaults to 64 KiB.</summary>
    public int BufferSize { get; init; } = 64 * 1024;

    /// <summary>After the input ends and the close is sent, how long to wait for the server's close. Defaults to 5 s.</summary>
    public TimeSpan CloseTimeout { get; init; } = TimeSpan.FromSeconds(5);
}
