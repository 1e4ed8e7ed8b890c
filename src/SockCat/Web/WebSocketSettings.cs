using Microsoft.Extensions.Logging;

namespace SockCat.Web;

/// <summary>The limits a WebSocket keeps, taken from <see cref="WebOptions"/> once per listener.</summary>
internal sealed class WebSocketSettings(WebOptions options, ILogger logger)
{
    public int MaxMessageBytes { get; } = options.MaxMessageBytes;

    public int MaxSendQueueBytes { get; } = options.MaxSendQueueBytes;

    public TimeSpan KeepAliveInterval { get; } = options.KeepAliveInterval;

    public TimeSpan KeepAliveTimeout { get; } = options.KeepAliveTimeout;

    public OriginPolicy Origins { get; } = new(options.AllowedOrigins);

    /// <summary>How long a peer has to answer the server's close frame before the connection is dropped.</summary>
    public TimeSpan CloseTimeout { get; } = TimeSpan.FromSeconds(5);

    public ILogger Logger { get; } = logger;
}
