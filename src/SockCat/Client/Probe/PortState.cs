namespace SockCat.Client.Probe;

/// <summary>What a probe learned about a port, in nmap's words.</summary>
public enum PortState
{
    /// <summary>tcp: the connection was accepted; udp: the port answered.</summary>
    Open,

    /// <summary>The host said no one listens there: a TCP reset, or an ICMP port-unreachable for UDP.</summary>
    Closed,

    /// <summary>No answer within the timeout, or the network said the host cannot be reached: something drops the traffic.</summary>
    Filtered,

    /// <summary>udp only: no answer and no refusal within the timeout; a UDP service often answers nothing to a probe it does not understand.</summary>
    OpenOrFiltered,
}
