using System.Diagnostics;
using System.Net;
using System.Net.Sockets;

namespace SockCat.Cli.Tests;

/// <summary>stdout redirected to a file that other programs write too, as `{ date; sockcat connect …; } > log` does.</summary>
public sealed class StdoutFileTests
{
    [Fact]
    public async Task Connect_StdoutAFileSharedWithTheCommandsAroundIt_KeepsItsBytesBetweenTheirs()
    {
        using var cts = new CancellationTokenSource(CliRun.TestTimeout);
        using var listener = new TcpListener(IPAddress.Loopback, 0);
        listener.Start();
        var port = ((IPEndPoint)listener.LocalEndpoint).Port;
        var server = Task.Run(async () =>
        {
            using var client = await listener.AcceptSocketAsync(cts.Token);
            await client.SendAsync("BODY\n"u8.ToArray(), cts.Token);
            client.Shutdown(SocketShutdown.Send);
            while (await client.ReceiveAsync(new byte[64], cts.Token) > 0)
            {
            }
        });
        var file = Path.Combine(Path.GetTempPath(), $"sockcat-stdout-{Guid.NewGuid():N}.txt");
        try
        {
            // One open file for the three commands, as a shell's redirection of a group gives them: each write must land at its end.
            var info = new ProcessStartInfo("sh") { UseShellExecute = false, RedirectStandardError = true };
            foreach (var arg in new[] { "-c", "{ echo header; dotnet \"$1\" connect --send x \"$2\"; echo footer; } > \"$3\"", "sh", SockcatProcess.Dll, $"tcp://127.0.0.1:{port}", file })
            {
                info.ArgumentList.Add(arg);
            }

            using var shell = Process.Start(info)!;
            var stderr = await shell.StandardError.ReadToEndAsync(cts.Token);
            await shell.WaitForExitAsync(cts.Token);
            await server;

            Assert.Equal((0, ""), (shell.ExitCode, stderr));
            Assert.Equal("header\nBODY\nfooter\n", await File.ReadAllTextAsync(file, cts.Token));
        }
        finally
        {
            File.Delete(file);
        }
    }
}
