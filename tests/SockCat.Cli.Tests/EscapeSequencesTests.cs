namespace SockCat.Cli.Tests;

public sealed class EscapeSequencesTests
{
    [Theory]
    [InlineData(@"GET / HTTP/1.1\r\nHost: x\r\n\r\n", "GET / HTTP/1.1\r\nHost: x\r\n\r\n")]
    [InlineData(@"a\tb", "a\tb")]
    [InlineData(@"back\\slash", "back\\slash")]
    [InlineData(@"\\n is not a newline", "\\n is not a newline")]
    [InlineData("plain", "plain")]
    [InlineData("", "")]
    public void Decode_TextEscapes_GiveTheirBytes(string text, string expected)
    {
        Assert.Equal(System.Text.Encoding.ASCII.GetBytes(expected), EscapeSequences.Decode(text));
    }

    [Fact]
    public void Decode_HexEscapes_GiveRawBytesIncludingNulAndHigh()
    {
        Assert.Equal(new byte[] { 0x00, 0x7f, 0x80, 0xff, 0x0d, (byte)'z', 0 }, EscapeSequences.Decode(@"\x00\x7F\x80\xff\x0dz\0"));
    }

    [Fact]
    public void Decode_NonAscii_IsUtf8()
    {
        Assert.Equal(new byte[] { 0xc3, 0xa9, 0xf0, 0x9f, 0x98, 0x80 }, EscapeSequences.Decode("é😀"));
    }

    [Theory]
    [InlineData(@"\q", "unknown escape '\\q'")]
    [InlineData(@"end\", "lone '\\'")]
    [InlineData(@"\x4", "two hex digits")]
    [InlineData(@"\xZZ", "two hex digits")]
    public void Decode_BadEscape_SaysWhatIsWrong(string text, string expected)
    {
        var ex = Assert.Throws<FormatException>(() => EscapeSequences.Decode(text));
        Assert.Contains(expected, ex.Message);
    }
}
