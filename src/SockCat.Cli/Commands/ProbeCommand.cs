using System.CommandLine;
using System.Net;
using System.Net.Sockets;
using System.Text.Json;
using SockCat.Client.Probe;

namespace SockCat.Cli.Commands;

/// <summary>`sockcat probe HOST PORTS`: which ports answer, as <c>nc -z</c> and nmap's connect scan tell it.</summary>
internal static class ProbeCommand
{
    private const int DefaultConcurrency = 100;
    private static readonly TimeSpan DefaultTimeout = TimeSpan.FromSeconds(2);

    public static Command Create()
    {
        var host = CommonOptions.NoOptions(new Argument<string>("host") { Description = "The host name or address to probe" });
        var ports = CommonOptions.NoOptions(new Argument<string>("ports") { Description = "Ports: 80, a range 20-25, or a list 22,80,8000-8010" });
        var udp = new Option<bool>("--udp", "-u") { Description = "Probe UDP ports (an empty datagram each) instead of TCP" };
        var timeout = CommonOptions.Seconds(new Option<double?>("--timeout", "-w")
        {
            Description = $"Wait this many seconds for each port's answer [default: {DefaultTimeout.TotalSeconds:0}]",
            HelpName = "seconds",
        }, "2");
        var concurrency = new Option<int>("--concurrency")
        {
            HelpName = "N",
            Description = "Ports probed at once",
            DefaultValueFactory = _ => DefaultConcurrency,
        }.Whole(new NumberRule("probes", "100", Min: 1, Max: 10_000));
        var json = new Option<bool>("--json") { Description = "Print one JSON document instead of a line per port" };
        var addresses = new AddressOptions();

        var command = new Command("probe", "Tell which ports of a host are open, closed or filtered, as nc -z and nmap do");
        VerbHelp.Add(command, """
            Details:
              TCP: a port that accepts the connection is open (closed again at once, nothing
              sent); one that refuses is closed; no answer within --timeout is filtered.
              UDP (-u): an answer to an empty datagram is open; an ICMP port-unreachable is
              closed; silence is open|filtered, since a UDP service may ignore the probe.
              One line per port, in the order given. Probe only hosts you may probe.

            Examples:
              sockcat probe 127.0.0.1 22
              sockcat probe localhost 20-25,80,443,8000-8100 --timeout 0.5
              sockcat probe -u 127.0.0.1 53,123
              sockcat probe 127.0.0.1 1-1024 --json | jq '.ports[] | select(.state == "open")'
              sockcat connect -z -v 127.0.0.1 80          the same, as nc takes it

            Exit status:
              0 every port named is open, 1 at least one is not, 2 bad usage,
              3 the host name could not be resolved (docs/cli.md)
            """);
        command.Arguments.Add(host);
        command.Arguments.Add(ports);
        command.Options.Add(udp);
        command.Options.Add(timeout);
        command.Options.Add(concurrency);
        command.Options.Add(json);
        command.Options.Add(addresses.IPv4);
        command.Options.Add(addresses.IPv6);
        command.SetAction((parseResult, cancellationToken) => RunAsync(
            new ProbeSettings(
                parseResult.GetValue(host)!,
                parseResult.GetValue(ports)!,
                parseResult.GetValue(udp),
                CommonOptions.ToTimeSpan(parseResult.GetValue(timeout)) ?? DefaultTimeout,
                parseResult.GetValue(concurrency),
                addresses.ReadFamily(parseResult),
                parseResult.GetValue(json) ? ProbeOutput.Json : ProbeOutput.Lines),
            parseResult.InvocationConfiguration.Output,
            CommonOptions.ErrorWriter(parseResult),
            cancellationToken));
        return command;
    }

    /// <summary>Probes, prints, and returns the exit code: 0 when every port is open, 1 otherwise. Shared with <c>connect -z</c>.</summary>
    internal static async Task<int> RunAsync(ProbeSettings settings, TextWriter output, TextWriter error, CancellationToken cancellationToken)
    {
        if (!PortList.TryParse(settings.Ports, out var ports, out var problem))
        {
            throw new CliException(problem!, ExitCodes.Usage);
        }

        var address = await ResolveAsync(settings.Host, settings.Family, cancellationToken).ConfigureAwait(false);
        var scheme = settings.Udp ? "udp" : "tcp";
        var results = new List<PortProbeResult>();
        var open = 0;
        await foreach (var result in PortProbe.ProbeAsync(address, ports, settings.Udp, settings.Timeout, settings.Concurrency, cancellationToken).ConfigureAwait(false))
        {
            open += result.State == PortState.Open ? 1 : 0;
            if (settings.Output == ProbeOutput.Json)
            {
                results.Add(result);
            }
            else if (settings.Output == ProbeOutput.Lines)
            {
                await output.WriteLineAsync($"{scheme}://{Format(address)}:{result.Port} {Name(result.State)}: {result.Reason}").ConfigureAwait(false);
            }
        }

        if (settings.Output == ProbeOutput.Json)
        {
            await output.WriteLineAsync(ToJson(settings, address, results)).ConfigureAwait(false);
        }
        else if (settings.Output == ProbeOutput.Lines && ports.Count > 1)
        {
            await error.WriteLineAsync($"sockcat: {Counted.Of(ports.Count, "port")} probed on {address}: {open} open").ConfigureAwait(false);
        }

        return open == ports.Count ? ExitCodes.Success : ExitCodes.Failure;
    }

    internal static string Name(PortState state) => state switch
    {
        PortState.Open => "open",
        PortState.Closed => "closed",
        PortState.Filtered => "filtered",
        _ => "open|filtered",
    };

    private static async Task<IPAddress> ResolveAsync(string host, AddressFamily family, CancellationToken cancellationToken)
    {
        if (IPAddress.TryParse(host.Trim('[', ']'), out var literal))
        {
            if (family != AddressFamily.Unspecified && literal.AddressFamily != family)
            {
                throw new CliException($"{host} is an {(literal.AddressFamily == AddressFamily.InterNetwork ? "IPv4" : "IPv6")} address and -4/-6 asks for the other family; drop the flag", ExitCodes.Usage);
            }

            return literal;
        }

        IPAddress[] found;
        try
        {
            found = await Dns.GetHostAddressesAsync(host, cancellationToken).ConfigureAwait(false);
        }
        catch (SocketException e)
        {
            throw new CliException($"could not resolve {host}: {e.Message}; check the name, or give an address", ExitCodes.ConnectFailed, e);
        }

        // One address is probed, as nc -z does; IPv4 first unless -6 says otherwise (localhost's ::1 and 127.0.0.1
        // are usually the same services, and IPv4 is what a name's user means most often).
        return found.Where(a => family == AddressFamily.Unspecified || a.AddressFamily == family)
                   .OrderBy(a => a.AddressFamily == AddressFamily.InterNetwork ? 0 : 1)
                   .FirstOrDefault()
               ?? throw new CliException($"{host} has no {(family == AddressFamily.InterNetwork ? "IPv4" : "IPv6")} address; drop -4/-6", ExitCodes.ConnectFailed);
    }

    private static string Format(IPAddress address) =>
        address.AddressFamily == AddressFamily.InterNetworkV6 ? $"[{address}]" : address.ToString();

    private static string ToJson(ProbeSettings settings, IPAddress address, List<PortProbeResult> results)
    {
        using var buffer = new MemoryStream();
        using (var json = new Utf8JsonWriter(buffer))
        {
            json.WriteStartObject();
            json.WriteString("host", settings.Host);
            json.WriteString("address", address.ToString());
            json.WriteString("protocol", settings.Udp ? "udp" : "tcp");
            json.WriteNumber("timeoutSeconds", settings.Timeout.TotalSeconds);
            json.WriteStartArray("ports");
            foreach (var r in results)
            {
                json.WriteStartObject();
                json.WriteNumber("port", r.Port);
                json.WriteString("state", Name(r.State));
                json.WriteString("reason", r.Reason);
                json.WriteNumber("ms", Math.Round(r.Elapsed.TotalMilliseconds, 3));
                json.WriteEndObject();
            }

            json.WriteEndArray();
            json.WriteNumber("open", results.Count(r => r.State == PortState.Open));
            json.WriteEndObject();
        }

        return System.Text.Encoding.UTF8.GetString(buffer.ToArray());
    }
}

/// <summary>How probe results are shown: a line per port, one JSON document, or nothing (<c>connect -z</c> without -v).</summary>
internal enum ProbeOutput
{
    Lines,
    Json,
    Quiet,
}

internal sealed record ProbeSettings(string Host, string Ports, bool Udp, TimeSpan Timeout, int Concurrency, AddressFamily Family, ProbeOutput Output);
