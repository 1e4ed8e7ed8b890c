using System.Net;

namespace SockCat.Client.Probe;

/// <summary>The outcome of probing one port.</summary>
/// <param name="Address">The address probed (a host name is resolved once, before the ports are probed).</param>
/// <param name="Port">The port probed.</param>
/// <param name="Udp">True for a UDP probe, false for TCP.</param>
/// <param name="State">What the probe learned.</param>
/// <param name="Reason">Why, in a few words: <c>connected</c>, <c>answered</c>, <c>connection refused (ECONNREFUSED)</c>, <c>no answer in 2 s</c>.</param>
/// <param name="Elapsed">How long the probe took.</param>
public sealed record PortProbeResult(IPAddress Address, int Port, bool Udp, PortState State, string Reason, TimeSpan Elapsed);
