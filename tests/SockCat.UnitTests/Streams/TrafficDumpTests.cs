using Microsoft.Extensions.Time.Testing;
using SockCat.Streams;

namespace SockCat.UnitTests.Streams;

public sealed class TrafficDumpTests
{
    private static readonly DateTimeOffset Noon = new(2026, 12, 5, 12, 0, 0, TimeSpan.Zero);

    [Fact]
    public void Hex_BlockPerChunk_WithHeaderOffsetsHexAndAscii()
    {
        var text = new StringWriter();
        var dump = new TrafficDump(text, "tcp://127.0.0.1:4444", TrafficDumpFormat.Hex, timeProvider: new FakeTimeProvider(Noon));

        dump.OnTraffic(TrafficDirection.Sent, "GET / HTTP/1.0\r\n\r\n\x01"u8);
        dump.OnTraffic(TrafficDirection.Received, "ok"u8);
        dump.OnTraffic(TrafficDirection.Sent, "!"u8);

        Assert.Equal(
            "> 2026-12-05 12:00:00.000000 sent to tcp://127.0.0.1:4444: 19 bytes at offset 0\n" +
            "00000000  47 45 54 20 2f 20 48 54  54 50 2f 31 2e 30 0d 0a  |GET / HTTP/1.0..|\n" +
            "00000010  0d 0a 01                                          |...|\n" +
            "< 2026-12-05 12:00:00.000000 received from tcp://127.0.0.1:4444: 2 bytes at offset 0\n" +
            "00000000  6f 6b                                             |ok|\n" +
            "> 2026-12-05 12:00:00.000000 sent to tcp://127.0.0.1:4444: 1 bytes at offset 19\n" +
            "00000013  21                                                |!|\n",
            text.ToString().Replace("\r\n", "\n"));
    }

    [Fact]
    public void Text_ControlBytesEscaped_NeverRawToATerminal()
    {
        var text = new StringWriter();
        var dump = new TrafficDump(text, "peer", TrafficDumpFormat.Text, timeProvider: new FakeTimeProvider(Noon));

        dump.OnTraffic(TrafficDirection.Received, "a\tb\r\n\x1b[2Jé\\"u8);

        Assert.Equal("< 2026-12-05 12:00:00.000000 received from peer: 12 bytes at offset 0\na\\tb\\r\\n\n\\x1b[2J\\xc3\\xa9\\\\\n", text.ToString());
    }

    [Fact]
    public void Bound_ReachedOnce_SaysSoAndWritesNoMore_OffsetsStillCount()
    {
        var text = new StringWriter();
        var dump = new TrafficDump(text, "peer", TrafficDumpFormat.Hex, maxBytes: 300, timeProvider: new FakeTimeProvider(Noon));

        for (var i = 0; i < 10; i++)
        {
            dump.OnTraffic(TrafficDirection.Sent, new byte[16]);
        }

        var written = text.ToString();
        Assert.Equal(2, written.Split('\n').Count(l => l.StartsWith("> ", StringComparison.Ordinal)));
        var note = $"-- traffic dump stopped after {written.IndexOf("--", StringComparison.Ordinal)} characters, its limit; the connection goes on undumped\n";
        Assert.EndsWith(note, written);
        Assert.True(written.Length - note.Length <= 300);
        Assert.Equal((160, 0), dump.Offsets);
    }

    [Fact]
    public void Begin_NextConnection_NamesItsPeerAndCountsFromZero()
    {
        var text = new StringWriter();
        var dump = new TrafficDump(text, "first", TrafficDumpFormat.Hex, timeProvider: new FakeTimeProvider(Noon));
        dump.OnTraffic(TrafficDirection.Sent, "abc"u8);

        dump.Begin("second");
        dump.OnTraffic(TrafficDirection.Sent, "d"u8);

        Assert.Contains("> 2026-12-05 12:00:00.000000 sent to second: 1 bytes at offset 0\n00000000  64 ", text.ToString());
    }
}
