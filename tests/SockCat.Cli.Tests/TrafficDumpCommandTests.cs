using SockCat.Services.Echo;
using SockCat.Testing;

namespace SockCat.Cli.Tests;

/// <summary>`--hexdump` and `--log-traffic` on connect and listen: both directions, in order, where the user asked.</summary>
public sealed class TrafficDumpCommandTests
{
    [Fact]
    public async Task Connect_HexdumpToFile_BothDirectionsRequestFirst_StdoutUntouched()
    {
        await using var server = await LoopbackServer.StartAsync(TestTransport.EpollTcp, _ => EchoProtocol.Instance);
        var file = Path.Combine(Path.GetTempPath(), $"sockcat-dump-{Guid.NewGuid():N}.txt");
        try
        {
            var result = await CliRun.InvokeAsync("ping\n"u8.ToArray(), "connect", server.Endpoint.ToString(), "--hexdump", file);

            Assert.Equal(ExitCodes.Success, result.ExitCode);
            Assert.Equal("ping\n", result.StdoutText);
            var lines = await File.ReadAllLinesAsync(file);
            Assert.Equal(4, lines.Length);
            Assert.Matches($@"^> \d{{4}}-\d\d-\d\d \d\d:\d\d:\d\d\.\d{{6}} sent to {server.Endpoint}: 5 bytes at offset 0$", lines[0]);
            Assert.Equal("00000000  70 69 6e 67 0a                                    |ping.|", lines[1]);
            Assert.StartsWith("< ", lines[2]);
            Assert.EndsWith($"received from {server.Endpoint}: 5 bytes at offset 0", lines[2]);
            Assert.Equal(lines[1], lines[3]);
        }
        finally
        {
            File.Delete(file);
        }
    }

    [Fact]
    public async Task Connect_LogTrafficToStderr_TextWithControlBytesEscaped()
    {
        await using var server = await LoopbackServer.StartAsync(TestTransport.EpollTcp, _ => EchoProtocol.Instance);

        var result = await CliRun.InvokeAsync("a\tb\r\n"u8.ToArray(), "connect", server.Endpoint.ToString(), "--log-traffic");

        Assert.Equal(ExitCodes.Success, result.ExitCode);
        Assert.Contains($"sent to {server.Endpoint}: 5 bytes at offset 0\na\\tb\\r\\n\n< ", result.Error);
    }

    [Theory]
    [InlineData(new[] { "--hexdump", "--log-traffic" }, "sockcat: --hexdump and --log-traffic exclude each other; give one of them\n")]
    [InlineData(new[] { "--dump-max", "100" }, "sockcat: --dump-max bounds --hexdump or --log-traffic, and neither is given; add one of them\n")]
    [InlineData(new[] { "--hexdump", "/nonexistent-dir/dump.txt" }, "sockcat: cannot write the traffic dump to /nonexistent-dir/dump.txt: Could not find a part of the path '/nonexistent-dir/dump.txt'; check the path and its permissions\n")]
    public async Task Dump_BadUse_OneLine(string[] options, string expected)
    {
        var result = await CliRun.InvokeAsync(["connect", "127.0.0.1:1", .. options]);

        Assert.NotEqual(ExitCodes.Success, result.ExitCode);
        Assert.Equal(expected, result.Error);
    }
}
