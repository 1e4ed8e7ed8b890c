namespace SockCat.Server.Hosting;

/// <summary>
/// A Kestrel connection whose output can end while its input goes on. Kestrel's socket transport has none: completing
/// its output closes both directions (aspnetcore#14937). <see cref="EpollBridgeConnection"/> has one (the loop shuts
/// down the send side), and the TLS middleware passes it on with close_notify before the FIN. Where a connection has
/// it, <see cref="KestrelConnection.CanHalfClose"/> is true.
/// </summary>
internal interface IConnectionHalfCloseFeature
{
    /// <summary>
    /// Ends the connection's output after what has been flushed to it (TLS: close_notify, then the FIN). Called once,
    /// with no write under way and none after it; the connection's input is read on as before.
    /// </summary>
    Task ShutdownSendAsync();
}
