using System.Globalization;
using System.Text;

namespace SockCat.Streams;

/// <summary>
/// A traffic dump as <c>ncat --hex-dump</c> and <c>socat -x</c>/<c>-v</c> write one: each chunk a block with a header
/// (direction, time, peer, size, offset in that direction's stream), then the bytes as hex and ASCII
/// (<see cref="TrafficDumpFormat.Hex"/>) or as text with control bytes escaped (<see cref="TrafficDumpFormat.Text"/>).
/// Bounded: once <c>maxBytes</c> of dump are written it says so once and writes no more, so a long transfer cannot fill a disk.
/// As a server's <see cref="Server.ServerOptions.TrafficObserver"/> it dumps every connection's traffic into the one
/// writer and bound, each block naming the connection's peer and id, with that connection's own offsets.
/// </summary>
public sealed class TrafficDump : ITrafficObserver, Server.IConnectionTrafficObserver
{
    private readonly TextWriter _writer;
    private string _peer;
    private readonly TrafficDumpFormat _format;
    private readonly long _maxBytes;
    private readonly TimeProvider _time;
    private readonly Lock _lock = new();
    private long _sentOffset;
    private long _receivedOffset;
    private long _written;
    private volatile bool _stopped;

    /// <summary>Dumps to <paramref name="writer"/>, naming <paramref name="peer"/> on each block.</summary>
    /// <param name="writer">Where the dump goes (stderr, a file); flushed after each block.</param>
    /// <param name="peer">The other side, as the block headers name it (<c>tcp://127.0.0.1:4444</c>).</param>
    /// <param name="format">Hex and ASCII, or text.</param>
    /// <param name="maxBytes">The most characters of dump to write; null: no bound.</param>
    /// <param name="timeProvider">The clock for the timestamps; null: the system's.</param>
    public TrafficDump(TextWriter writer, string peer, TrafficDumpFormat format = TrafficDumpFormat.Hex, long? maxBytes = null, TimeProvider? timeProvider = null)
    {
        ArgumentNullException.ThrowIfNull(writer);
        ArgumentNullException.ThrowIfNull(peer);
        _writer = writer;
        _peer = peer;
        _format = format;
        _maxBytes = maxBytes ?? long.MaxValue;
        _time = timeProvider ?? TimeProvider.System;
    }

    /// <summary>
    /// Starts the next connection's dump on the same writer and within the same bound (as <c>listen -k</c> serves one
    /// client after another): blocks name <paramref name="peer"/>, and offsets count from 0 again.
    /// </summary>
    public void Begin(string peer)
    {
        ArgumentNullException.ThrowIfNull(peer);
        lock (_lock)
        {
            _peer = peer;
            _sentOffset = 0;
            _receivedOffset = 0;
        }
    }

    /// <summary>Bytes seen in each direction so far, dumped or not.</summary>
    public (long Sent, long Received) Offsets
    {
        get
        {
            lock (_lock)
            {
                return (_sentOffset, _receivedOffset);
            }
        }
    }

    /// <inheritdoc />
    public void OnTraffic(TrafficDirection direction, ReadOnlySpan<byte> data)
    {
        if (data.IsEmpty)
        {
            return;
        }

        lock (_lock)
        {
            ref var offset = ref direction == TrafficDirection.Sent ? ref _sentOffset : ref _receivedOffset;
            var start = offset;
            offset += data.Length;
            if (_stopped)
            {
                return;
            }

            WriteBlock(Format(direction, _peer, start, data), "the connection goes on undumped");
        }
    }

    /// <inheritdoc />
    public void OnTraffic(Server.IConnection connection, TrafficDirection direction, long offset, ReadOnlySpan<byte> data)
    {
        ArgumentNullException.ThrowIfNull(connection);
        // Once stopped, a server's connections pay a volatile read, not the lock or the formatting.
        if (data.IsEmpty || _stopped)
        {
            return;
        }

        var peer = connection is Server.ServerConnection known ? known.Peer : connection.RemoteEndPoint?.ToString() ?? "?";
        var block = Format(direction, string.Create(CultureInfo.InvariantCulture, $"{peer} (connection {connection.Id})"), offset, data);
        lock (_lock)
        {
            if (!_stopped)
            {
                WriteBlock(block, "connections go on undumped");
            }
        }
    }

    // Under the lock: the block, or once the bound is reached the line that says so.
    private void WriteBlock(string block, string after)
    {
        if (_written + block.Length > _maxBytes)
        {
            _stopped = true;
            block = $"-- traffic dump stopped after {_written} characters, its limit; {after}\n";
        }

        _written += block.Length;
        _writer.Write(block);
        _writer.Flush();
    }

    private string Format(TrafficDirection direction, string peer, long offset, ReadOnlySpan<byte> data)
    {
        var text = new StringBuilder(data.Length * 4 + 100);
        var time = _time.GetUtcNow().ToString("yyyy-MM-dd HH:mm:ss.ffffff", CultureInfo.InvariantCulture);
        var (arrow, verb) = direction == TrafficDirection.Sent ? ('>', "sent to") : ('<', "received from");
        text.Append(CultureInfo.InvariantCulture, $"{arrow} {time} {verb} {peer}: {data.Length} bytes at offset {offset}\n");
        if (_format == TrafficDumpFormat.Hex)
        {
            AppendHex(text, offset, data);
        }
        else
        {
            AppendText(text, data);
        }

        return text.ToString();
    }

    private static void AppendHex(StringBuilder text, long offset, ReadOnlySpan<byte> data)
    {
        for (var line = 0; line < data.Length; line += 16)
        {
            var row = data.Slice(line, Math.Min(16, data.Length - line));
            text.Append(CultureInfo.InvariantCulture, $"{offset + line:x8} ");
            for (var i = 0; i < 16; i++)
            {
                text.Append(i == 8 ? "  " : " ");
                text.Append(i < row.Length ? row[i].ToString("x2", CultureInfo.InvariantCulture) : "  ");
            }

            text.Append("  |");
            foreach (var b in row)
            {
                text.Append(b is >= 0x20 and < 0x7f ? (char)b : '.');
            }

            text.Append("|\n");
        }
    }

    // Text as it would print, but a terminal never sees a raw control byte from the wire: \r, \t and the rest escaped.
    private static void AppendText(StringBuilder text, ReadOnlySpan<byte> data)
    {
        foreach (var b in data)
        {
            switch (b)
            {
                case (byte)'\n': text.Append("\\n\n"); break;
                case (byte)'\r': text.Append("\\r"); break;
                case (byte)'\t': text.Append("\\t"); break;
                case (byte)'\\': text.Append("\\\\"); break;
                case >= 0x20 and < 0x7f: text.Append((char)b); break;
                default: text.Append(CultureInfo.InvariantCulture, $"\\x{b:x2}"); break;
            }
        }

        if (data[^1] != (byte)'\n')
        {
            text.Append('\n');
        }
    }
}

/// <summary>How a <see cref="TrafficDump"/> shows the bytes.</summary>
public enum TrafficDumpFormat
{
    /// <summary>Offsets, hex and ASCII, 16 bytes a line (<c>ncat --hex-dump</c>, <c>socat -x</c>).</summary>
    Hex,

    /// <summary>The bytes as text, control bytes and non-ASCII escaped (<c>socat -v</c>).</summary>
    Text,
}
