using SockCat.Framing;

namespace SockCat.Services.Broker;

/// <summary>The settings of a <see cref="BrokerHub"/>.</summary>
public sealed class BrokerOptions
{
    /// <summary>
    /// The longest line relayed, in bytes, without its terminator; a longer one is dropped (never buffered whole) and its
    /// sender told so in one line. Defaults to <see cref="LineFramer.DefaultMaxLineLength"/> (64 KiB).
    /// </summary>
    public int MaxLineLength { get; set; } = LineFramer.DefaultMaxLineLength;
}
