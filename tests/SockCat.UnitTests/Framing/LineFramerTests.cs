using System.Text;
using SockCat.Framing;

namespace SockCat.UnitTests.Framing;

public class LineFramerTests
{
    private const string TooLong = "<too long>";

    // Inputs chosen for their edges: CRLF split between calls, empty lines, a CR inside a line, a line of exactly the
    // maximum (8) with and without CR, one over it by a byte, long ones around short ones, and a last line without newline.
    public static TheoryData<string> Inputs => new()
    {
        "hello\nworld\n",
        "hello\r\nworld\r\n",
        "\n\r\n\n",
        "a\rb\nc\r\n",
        "12345678\n12345678\r\nx\n",
        "123456789\nok\n",
        "123456789\r\nok\r\n",
        "this line is much too long\nshort\nand this one is too long as well\r\nend",
        "tail without newline",
        "last\r",
        "exactly8",
        "ok\n123456789",
        "ok\nmuch too long at the end\r",
    };

    [Theory]
    [MemberData(nameof(Inputs))]
    public void Read_EverySplitIntoThree_SameLinesAsWhole(string text)
    {
        var input = Encoding.ASCII.GetBytes(text);
        var expected = Oracle(input, 8);
        for (var i = 0; i <= input.Length; i++)
        {
            for (var j = i; j <= input.Length; j++)
            {
                var lines = Feed(8, input[..i], input[i..j], input[j..]);
                Assert.True(expected.SequenceEqual(lines), $"split at {i},{j}: [{string.Join("|", lines)}] != [{string.Join("|", expected)}]");
            }
        }
    }

    [Theory]
    [MemberData(nameof(Inputs))]
    public void Read_OneByteAtATime_SameLinesAsWhole(string text)
    {
        var input = Encoding.ASCII.GetBytes(text);
        Assert.Equal(Oracle(input, 8), Feed(8, input.Select(b => new[] { b }).ToArray()));
    }

    [Fact]
    public void Read_LongLineInOneChunk_ReportedOnceAndNotKept()
    {
        var framer = new LineFramer(4);
        var lines = framer.Read("abcdefghij"u8);
        Assert.True(lines.MoveNext());
        Assert.True(lines.IsTooLong);
        Assert.True(lines.Current.IsEmpty);
        Assert.False(lines.MoveNext());
        Assert.Equal(10, lines.Consumed);
        Assert.True(framer.IsDiscarding);

        // The rest of it, over any number of calls, is dropped silently up to its newline.
        var more = framer.Read("klmnop"u8);
        Assert.False(more.MoveNext());
        Assert.Equal(6, more.Consumed);
        var end = framer.Read("qr\nok\n"u8);
        Assert.True(end.MoveNext());
        Assert.False(end.IsTooLong);
        Assert.Equal("ok", Encoding.ASCII.GetString(end.Current));
        Assert.False(end.MoveNext());
        Assert.False(framer.IsDiscarding);
    }

    [Fact]
    public void Read_EndlessLine_KeepsAtMostMaxPlusOneBytes()
    {
        // A peer that never sends a newline: the transport must never be asked to hold more than the bound.
        var framer = new LineFramer(100);
        var held = Array.Empty<byte>();
        var reports = 0;
        for (var i = 0; i < 1000; i++)
        {
            var data = held.Concat(Enumerable.Repeat((byte)'x', 7)).ToArray();
            var lines = framer.Read(data);
            while (lines.MoveNext())
            {
                Assert.True(lines.IsTooLong);
                reports++;
            }

            held = data[lines.Consumed..];
            Assert.True(held.Length <= 101, $"{held.Length} bytes kept");
        }

        Assert.Equal(1, reports);
    }

    [Fact]
    public void ReadFinal_WhileDiscarding_ConsumesWithoutSecondReport()
    {
        var framer = new LineFramer(4);
        var first = framer.Read("abcdefgh"u8);
        Assert.True(first.MoveNext() && first.IsTooLong);
        var last = framer.ReadFinal("ij"u8);
        Assert.False(last.MoveNext());
        Assert.Equal(2, last.Consumed);
        Assert.False(framer.IsDiscarding);
    }

    [Fact]
    public void Foreach_YieldsEachLine()
    {
        var framer = new LineFramer();
        var seen = new List<string>();
        foreach (var line in framer.Read("a\nbb\r\nccc"u8))
        {
            seen.Add(Encoding.ASCII.GetString(line));
        }

        Assert.Equal(["a", "bb"], seen);
    }

    [Fact]
    public void Read_ManyLines_AllocatesNothing()
    {
        var framer = new LineFramer();
        var data = Encoding.ASCII.GetBytes(string.Concat(Enumerable.Repeat("a line of text\r\n", 1000)) + "partial");
        var count = CountLines(framer, data); // JIT and tiering out of the measured call
        var before = GC.GetAllocatedBytesForCurrentThread();
        count += CountLines(framer, data);
        var allocated = GC.GetAllocatedBytesForCurrentThread() - before;
        Assert.Equal(2000, count);
        Assert.Equal(0, allocated);
    }

    [Fact]
    public void Constructor_MaxBelowOne_Throws() => Assert.Throws<ArgumentOutOfRangeException>(() => new LineFramer(0));

    private static int CountLines(LineFramer framer, byte[] data)
    {
        var n = 0;
        var lines = framer.Read(data);
        while (lines.MoveNext())
        {
            n++;
        }

        return n;
    }

    /// <summary>Feeds the chunks as the transport would: what a call leaves is presented again before the next chunk.</summary>
    private static List<string> Feed(int max, params byte[][] chunks)
    {
        var framer = new LineFramer(max);
        var result = new List<string>();
        var held = Array.Empty<byte>();
        foreach (var chunk in chunks)
        {
            if (chunk.Length == 0)
            {
                continue; // the transport never delivers an empty read
            }

            var data = held.Concat(chunk).ToArray();
            var lines = framer.Read(data);
            while (lines.MoveNext())
            {
                result.Add(lines.IsTooLong ? TooLong : Encoding.ASCII.GetString(lines.Current));
                if (!lines.IsTooLong)
                {
                    // The line as received: the line itself, then LF or CRLF, ending where the enumerator has consumed to.
                    var raw = Encoding.ASCII.GetString(lines.CurrentWithTerminator);
                    var line = Encoding.ASCII.GetString(lines.Current);
                    Assert.True(raw == line + "\n" || raw == line + "\r\n", $"'{raw}' for '{line}'");
                    Assert.Equal(raw, Encoding.ASCII.GetString(data, lines.Consumed - raw.Length, raw.Length));
                }
            }

            held = data[lines.Consumed..];
            Assert.True(held.Length <= max + 1, $"{held.Length} bytes left for the transport to keep");
        }

        var final = framer.ReadFinal(held);
        while (final.MoveNext())
        {
            result.Add(final.IsTooLong ? TooLong : Encoding.ASCII.GetString(final.Current));
        }

        Assert.Equal(held.Length, final.Consumed);
        return result;
    }

    /// <summary>The lines of the whole input, by the plainest reading of the rules.</summary>
    private static List<string> Oracle(byte[] input, int max)
    {
        var pieces = Encoding.ASCII.GetString(input).Split('\n');
        var result = new List<string>();
        for (var i = 0; i < pieces.Length; i++)
        {
            var piece = pieces[i];
            if (i == pieces.Length - 1 && piece.Length == 0)
            {
                break;
            }

            if (piece.EndsWith('\r'))
            {
                piece = piece[..^1];
            }

            result.Add(piece.Length > max ? TooLong : piece);
        }

        return result;
    }
}
