namespace SockCat.Client.WebSockets;

/// <summary>How <see cref="WebSocketClient.ConnectAsync"/> opens a WebSocket: the connection underneath, and the upgrade request's headers.</summary>
public sealed record WebSocketConnectOptions
{
    /// <summary>
    /// The TCP (ws://) or TLS (wss://) connection underneath, as <see cref="SocketClient.ConnectAsync"/> makes it: time
    /// limit, address family, source address, certificate checks (<see cref="ConnectOptions.AllowUntrustedCertificate"/>,
    /// <see cref="ConnectOptions.CertificateFingerprint"/>), retries. Its <see cref="ConnectOptions.Timeout"/> covers the upgrade too.
    /// </summary>
    public ConnectOptions Connect { get; init; } = new();

    /// <summary>Extra request headers (<c>Authorization</c>, cookies, ...), sent as given.</summary>
    public IReadOnlyList<KeyValuePair<string, string>> Headers { get; init; } = [];

    /// <summary>The <c>Origin</c> header, as a browser sends it; null sends none (a server that checks origins lets non-browser clients in).</summary>
    public string? Origin { get; init; }

    /// <summary>Subprotocols offered (<c>Sec-WebSocket-Protocol</c>), in order of preference; the server picks one or none.</summary>
    public IReadOnlyList<string> SubProtocols { get; init; } = [];

    /// <summary>How often to ping the server to keep the connection alive through proxies; defaults to 20 s. <see cref="TimeSpan.Zero"/> sends none.</summary>
    public TimeSpan KeepAliveInterval { get; init; } = TimeSpan.FromSeconds(20);
}
