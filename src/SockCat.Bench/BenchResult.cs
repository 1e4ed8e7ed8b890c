using System.Text.Json;

namespace SockCat.Bench;

/// <summary>What one run measured; <see cref="WriteJson"/> is the `--json` form scripts read.</summary>
public sealed record BenchResult
{
    public required BenchOptions Options { get; init; }

    /// <summary>Seconds of the measured phase (pingpong, stream).</summary>
    public double Seconds { get; init; }

    public long Messages { get; init; }

    public long Bytes { get; init; }

    public double MessagesPerSecond => Seconds > 0 ? Messages / Seconds : 0;

    /// <summary>Echoed megabytes (10^6 bytes) per second, verified.</summary>
    public double MegabytesPerSecond => Seconds > 0 ? Bytes / Seconds / 1e6 : 0;

    public required LatencyHistogram Latency { get; init; }

    public required BenchErrors Errors { get; init; }

    /// <summary>Connections that connected (at the end of the connect phase).</summary>
    public int Connected { get; init; }

    /// <summary>Seconds from the first connect() to the last connection established.</summary>
    public double ConnectSeconds { get; init; }

    /// <summary>Conns mode: connections that echoed their check byte in the first and the last check.</summary>
    public int EchoOkFirst { get; init; }

    public int EchoOkLast { get; init; }

    public long? ServerRssBeforeKb { get; init; }

    public long? ServerRssAfterKb { get; init; }

    /// <summary>Conns mode: the server's memory growth per connection held, in KB (1024 bytes).</summary>
    public double? ServerKbPerConnection =>
        ServerRssBeforeKb is { } before && ServerRssAfterKb is { } after && EchoOkFirst > 0
            ? (double)(after - before) / EchoOkFirst
            : null;

    /// <summary>CPU seconds (user + system) the load generator itself used, to show it was not the bottleneck.</summary>
    public double ClientCpuSeconds { get; init; }

    public double ClientWallSeconds { get; init; }

    public int ClientGcCount { get; init; }

    /// <summary>The I/O engine that carried the traffic: io_uring once a loop's connections were all open, else epoll; async or tls for <see cref="TlsBenchDriver"/>.</summary>
    public BenchIo Io { get; init; }

    /// <summary>tls://: the protocol version the first handshake negotiated (<c>TLSv1.3</c>); null otherwise.</summary>
    public string? TlsProtocol { get; init; }

    /// <summary>tls://: the cipher suite the first handshake negotiated (<c>TLS_AES_256_GCM_SHA384</c>); null otherwise.</summary>
    public string? TlsCipher { get; init; }

    public bool Succeeded => Errors.Total == 0 && Connected == Options.Connections;

    public void WriteJson(Stream stream)
    {
        using var w = new Utf8JsonWriter(stream);
        w.WriteStartObject();
        w.WriteString("mode", Options.Mode.ToString().ToLowerInvariant());
        w.WriteString("url", Options.Url.ToString());
        if (Options.AlsoUrls.Count > 0)
        {
            // Only when given, so a single-server run's JSON stays what it was.
            w.WriteStartArray("also");
            foreach (var also in Options.AlsoUrls)
            {
                w.WriteStringValue(also.ToString());
            }

            w.WriteEndArray();
        }

        w.WriteNumber("connections", Options.Connections);
        w.WriteNumber("size", Options.MessageSize);
        w.WriteNumber("window", Options.Window);
        w.WriteNumber("inflight", Options.InFlightBytes);
        w.WriteNumber("threads", Options.Threads);
        w.WriteString("io", Io.ToString().ToLowerInvariant());
        w.WriteString("tlsProtocol", TlsProtocol);
        w.WriteString("tlsCipher", TlsCipher);
        w.WriteNumber("sources", Options.Sources.Count);
        w.WriteNumber("warmupSeconds", Options.WarmupSeconds);
        w.WriteNumber("seconds", Math.Round(Seconds, 4));
        w.WriteNumber("messages", Messages);
        w.WriteNumber("bytes", Bytes);
        w.WriteNumber("msgsPerSec", Math.Round(MessagesPerSecond, 1));
        w.WriteNumber("mbPerSec", Math.Round(MegabytesPerSecond, 3));
        w.WriteStartObject("latencyUs");
        w.WriteNumber("count", Latency.Count);
        w.WriteNumber("mean", Math.Round(Latency.Mean / 1000, 2));
        w.WriteNumber("p50", Math.Round(Latency.Percentile(50) / 1000.0, 2));
        w.WriteNumber("p99", Math.Round(Latency.Percentile(99) / 1000.0, 2));
        w.WriteNumber("p999", Math.Round(Latency.Percentile(99.9) / 1000.0, 2));
        w.WriteNumber("max", Math.Round(Latency.Max / 1000.0, 2));
        w.WriteEndObject();
        w.WriteNumber("connected", Connected);
        w.WriteNumber("connectSeconds", Math.Round(ConnectSeconds, 4));
        w.WriteNumber("echoOkFirst", EchoOkFirst);
        w.WriteNumber("echoOkLast", EchoOkLast);
        w.WriteNumber("holdSeconds", Options.HoldSeconds);
        WriteNullable(w, "serverRssBeforeKb", ServerRssBeforeKb);
        WriteNullable(w, "serverRssAfterKb", ServerRssAfterKb);
        if (ServerKbPerConnection is { } kb)
        {
            w.WriteNumber("serverKbPerConnection", Math.Round(kb, 3));
        }
        else
        {
            w.WriteNull("serverKbPerConnection");
        }

        w.WriteStartObject("errors");
        w.WriteNumber("total", Errors.Total);
        w.WriteNumber("connect", Errors.Connect);
        w.WriteNumber("closed", Errors.Closed);
        w.WriteNumber("verify", Errors.Verify);
        w.WriteNumber("timeout", Errors.Timeout);
        w.WriteString("first", Errors.First);
        w.WriteEndObject();
        w.WriteNumber("clientCpuSeconds", Math.Round(ClientCpuSeconds, 3));
        w.WriteNumber("clientWallSeconds", Math.Round(ClientWallSeconds, 3));
        w.WriteNumber("clientGcCount", ClientGcCount);
        w.WriteBoolean("ok", Succeeded);
        w.WriteEndObject();
    }

    private static void WriteNullable(Utf8JsonWriter w, string name, long? value)
    {
        if (value is { } v)
        {
            w.WriteNumber(name, v);
        }
        else
        {
            w.WriteNull(name);
        }
    }
}
