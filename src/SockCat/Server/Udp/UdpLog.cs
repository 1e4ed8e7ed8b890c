using System.Net;
using Microsoft.Extensions.Logging;

namespace SockCat.Server.Udp;

/// <summary>The log lines of the datagram loop. Event IDs 800–819 belong to this class.</summary>
internal static partial class UdpLog
{
    [LoggerMessage(EventId = 800, Level = LogLevel.Information, Message = "Datagram peer {Peer} seen. Now there are total {PeerCount} peers.")]
    public static partial void PeerSeen(ILogger logger, IPEndPoint peer, int peerCount);

    [LoggerMessage(EventId = 801, Level = LogLevel.Debug, Message = "Datagram peer {Peer} idle for {IdleSeconds:0} s, forgotten. Now there are total {PeerCount} peers.")]
    public static partial void PeerExpired(ILogger logger, IPEndPoint peer, double idleSeconds, int peerCount);

    [LoggerMessage(EventId = 802, Level = LogLevel.Warning, Message = "Datagram peer table is full ({MaxPeers} peers); the least recently seen are forgotten to make room.")]
    public static partial void PeerTableFull(ILogger logger, int maxPeers);

    [LoggerMessage(EventId = 803, Level = LogLevel.Information, Message = "Datagram peer {Peer} refused by the allow/deny rules; its datagrams are dropped.")]
    public static partial void PeerDenied(ILogger logger, IPEndPoint peer);

    [LoggerMessage(EventId = 804, Level = LogLevel.Debug, Message = "Could not send a datagram to {Peer}: {Error}")]
    public static partial void SendFailed(ILogger logger, IPEndPoint? peer, SocketErrorText error);

    [LoggerMessage(EventId = 805, Level = LogLevel.Error, Message = "The datagram loop on {LocalEndPoint} stopped on an error.")]
    public static partial void LoopFailed(ILogger logger, Exception exception, EndPoint? localEndPoint);

    /// <summary>A socket error code as the log shows it, without allocating a string until a line is written.</summary>
    public readonly record struct SocketErrorText(System.Net.Sockets.SocketError Code)
    {
        /// <inheritdoc />
        public override string ToString() => Code.ToString();
    }
}
