namespace SockCat.Server;

/// <summary>What a server did in its lifetime, as <see cref="SockCatServer.StopAsync"/> reports it.</summary>
/// <param name="ConnectionsServed">Connections accepted (refused and denied ones are not counted).</param>
/// <param name="BytesReceived">Bytes read from every connection.</param>
/// <param name="BytesSent">Bytes written to every connection.</param>
/// <param name="Uptime">From start to the end of the stop.</param>
public sealed record ServerSummary(long ConnectionsServed, long BytesReceived, long BytesSent, TimeSpan Uptime);
