using System.Text.RegularExpressions;
using static SockCat.Cli.Tests.Exec.ExecServer;

namespace SockCat.Cli.Tests.Exec;

/// <summary>`serve exec --pty`: the program on a pseudo-terminal.</summary>
[System.Runtime.Versioning.UnsupportedOSPlatform("windows")]
public sealed partial class ServeExecPtyTests
{
    [Fact]
    public async Task Pty_ProgramSeesATerminalOfTheGivenSize_WithoutItNoTerminal()
    {
        const string Check = "python3 -c \"import os, sys; print(os.isatty(0), os.isatty(1), os.isatty(2), os.get_terminal_size(1).lines if os.isatty(1) else '-', os.get_terminal_size(1).columns if os.isatty(1) else '-')\"";
        await using (var pty = await StartAsync(["--pty", "--pty-size", "40x120", "--shell"], Check))
        {
            using var client = await pty.ConnectAsync();
            Assert.Equal("True True True 40 120\r\n", await ReadToEndAsync(client));   // a terminal's CRLF
        }

        await using var plain = await StartAsync(["--shell"], Check);
        using var other = await plain.ConnectAsync();
        Assert.Equal("False False False - -\n", await ReadToEndAsync(other));
    }

    [Fact]
    public async Task Pty_InteractiveShell_CtrlCReachesTheJob_AndABackgroundJobDiesWithTheClient()
    {
        await using var server = await StartAsync(["--pty", "--kill-after", "0.2"], "bash", "--norc", "-i");
        var client = await server.ConnectAsync();
        // Job control puts the background job in a process group of its own: only the session reaches it.
        await client.SendAsync("sleep 1000 & echo \"JOB $!\"\n"u8.ToArray());
        var pid = int.Parse(await ReadUntilAsync(client, JobPid()));
        Assert.True(Exists(pid));

        // The job prints FG once it is the terminal's foreground group (bash hands it the terminal before it runs):
        // a Ctrl+C sent earlier would reach bash at its prompt instead. The echoed command shows F""G, not FG.
        await client.SendAsync("sh -c 'echo F\"\"G; exec sleep 1000'\n"u8.ToArray());
        await ReadUntilAsync(client, Foreground());
        await client.SendAsync("\u0003"u8.ToArray());
        await client.SendAsync("echo \"STATUS $?\"\n"u8.ToArray());
        Assert.Equal("130", await ReadUntilAsync(client, Status()));   // the foreground sleep got SIGINT, bash did not

        Reset(client);
        await Until(() => !Exists(pid), "the background job to be gone and reaped");
        await server.WaitForLogAsync("Program (pid ");
    }

    /// <summary>Reads until <paramref name="pattern"/> matches what has arrived (echo included); its first group.</summary>
    private static async Task<string> ReadUntilAsync(System.Net.Sockets.Socket socket, Regex pattern)
    {
        using var timeout = new CancellationTokenSource(CliRun.TestTimeout);
        var text = new System.Text.StringBuilder();
        var buffer = new byte[4096];
        while (true)
        {
            var n = await socket.ReceiveAsync(buffer, timeout.Token);
            Assert.NotEqual(0, n);
            text.Append(System.Text.Encoding.UTF8.GetString(buffer, 0, n));
            if (pattern.Match(text.ToString()) is { Success: true } match)
            {
                return match.Groups[1].Value;
            }
        }
    }

    // The echoed command holds "JOB $!" literally; only the program's output has digits there.
    [GeneratedRegex(@"JOB (\d+)")]
    private static partial Regex JobPid();

    [GeneratedRegex(@"(FG)")]
    private static partial Regex Foreground();

    [GeneratedRegex(@"STATUS (\d+)")]
    private static partial Regex Status();
}
