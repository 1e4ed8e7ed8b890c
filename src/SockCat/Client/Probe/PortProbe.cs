using System.Diagnostics;
using System.Net;
using System.Net.Sockets;
using System.Runtime.CompilerServices;

namespace SockCat.Client.Probe;

/// <summary>
/// Probes ports of one host, as <c>nc -z</c> and nmap's connect scan do: TCP by a full connect (closed at once, nothing
/// sent), UDP by an empty datagram and a wait for an answer or an ICMP refusal. Probes run concurrently within a bound;
/// results come back in the order the ports were given.
/// </summary>
public static class PortProbe
{
    /// <summary>Probes one TCP port: connected is open, a reset is closed, silence past <paramref name="timeout"/> or an unreachable network is filtered.</summary>
    public static async Task<PortProbeResult> ProbeTcpAsync(IPAddress address, int port, TimeSpan timeout, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(address);
        var clock = Stopwatch.StartNew();
        using var socket = new Socket(address.AddressFamily, SocketType.Stream, ProtocolType.Tcp);
        using var deadline = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        deadline.CancelAfter(timeout);
        try
        {
            await socket.ConnectAsync(new IPEndPoint(address, port), deadline.Token).ConfigureAwait(false);
            return new PortProbeResult(address, port, false, PortState.Open, "connected", clock.Elapsed);
        }
        catch (OperationCanceledException) when (!cancellationToken.IsCancellationRequested)
        {
            return new PortProbeResult(address, port, false, PortState.Filtered, $"no answer in {Seconds(timeout)}", clock.Elapsed);
        }
        catch (SocketException e)
        {
            var (_, name) = SocketErrorNames.Describe(e);
            var state = e.SocketErrorCode == SocketError.ConnectionRefused ? PortState.Closed : PortState.Filtered;
            var words = e.SocketErrorCode == SocketError.ConnectionRefused ? "connection refused" : e.Message.ToLowerInvariant();
            return new PortProbeResult(address, port, false, state, $"{words} ({name})", clock.Elapsed);
        }
    }

    /// <summary>
    /// Probes one UDP port with an empty datagram: an answer is open, an ICMP port-unreachable is closed, silence past
    /// <paramref name="timeout"/> is open|filtered (a UDP service need not answer a probe it does not understand).
    /// </summary>
    public static async Task<PortProbeResult> ProbeUdpAsync(IPAddress address, int port, TimeSpan timeout, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(address);
        var clock = Stopwatch.StartNew();
        using var socket = new Socket(address.AddressFamily, SocketType.Dgram, ProtocolType.Udp);
        using var deadline = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        deadline.CancelAfter(timeout);
        var buffer = new byte[1];
        try
        {
            // Connected, so that the kernel reports the ICMP refusal on this socket's next receive.
            await socket.ConnectAsync(new IPEndPoint(address, port), deadline.Token).ConfigureAwait(false);
            await socket.SendAsync(ReadOnlyMemory<byte>.Empty, SocketFlags.None, deadline.Token).ConfigureAwait(false);
            await socket.ReceiveAsync(buffer, SocketFlags.None, deadline.Token).ConfigureAwait(false);
            return new PortProbeResult(address, port, true, PortState.Open, "answered", clock.Elapsed);
        }
        catch (OperationCanceledException) when (!cancellationToken.IsCancellationRequested)
        {
            return new PortProbeResult(address, port, true, PortState.OpenOrFiltered, $"no answer in {Seconds(timeout)}", clock.Elapsed);
        }
        catch (SocketException e) when (e.SocketErrorCode == SocketError.MessageSize)
        {
            return new PortProbeResult(address, port, true, PortState.Open, "answered", clock.Elapsed);
        }
        catch (SocketException e)
        {
            var (_, name) = SocketErrorNames.Describe(e);
            var state = e.SocketErrorCode is SocketError.ConnectionRefused or SocketError.ConnectionReset ? PortState.Closed : PortState.Filtered;
            var words = state == PortState.Closed ? "port unreachable" : e.Message.ToLowerInvariant();
            return new PortProbeResult(address, port, true, state, $"{words} ({name})", clock.Elapsed);
        }
    }

    /// <summary>
    /// Probes <paramref name="ports"/> of <paramref name="address"/>, at most <paramref name="concurrency"/> at a time,
    /// and yields each result in the order of <paramref name="ports"/> as soon as it and those before it are known.
    /// </summary>
    public static async IAsyncEnumerable<PortProbeResult> ProbeAsync(
        IPAddress address,
        IReadOnlyList<int> ports,
        bool udp,
        TimeSpan timeout,
        int concurrency,
        [EnumeratorCancellation] CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(address);
        ArgumentNullException.ThrowIfNull(ports);
        ArgumentOutOfRangeException.ThrowIfLessThan(concurrency, 1);
        var probes = new Task<PortProbeResult>?[ports.Count];
        var started = 0;
        void StartMore(int upTo)
        {
            for (; started < ports.Count && started < upTo; started++)
            {
                probes[started] = udp
                    ? ProbeUdpAsync(address, ports[started], timeout, cancellationToken)
                    : ProbeTcpAsync(address, ports[started], timeout, cancellationToken);
            }
        }

        // A window of `concurrency` probes that slides as results are yielded in order: simple, bounded, and a slow
        // port holds up at most `concurrency` others.
        for (var next = 0; next < ports.Count; next++)
        {
            StartMore(next + concurrency);
            var result = await probes[next]!.ConfigureAwait(false);
            probes[next] = null;
            yield return result;
        }
    }

    private static string Seconds(TimeSpan t) => t.TotalSeconds >= 1 && t.TotalSeconds % 1 == 0 ? $"{t.TotalSeconds:0} s" : $"{t.TotalMilliseconds:0} ms";
}
