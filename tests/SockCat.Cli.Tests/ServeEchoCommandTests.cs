using System.CommandLine;
using System.Diagnostics;
using System.Net;
using System.Net.Sockets;
using System.Runtime.InteropServices;
using SockCat.Cli;

namespace SockCat.Cli.Tests;

public sealed partial class ServeEchoCommandTests
{
    [Fact]
    public async Task ServeEcho_PortInUse_OneLineAndListenFailed()
    {
        using var occupier = new Socket(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp);
        occupier.Bind(new IPEndPoint(IPAddress.Loopback, 0));
        occupier.Listen();
        var port = ((IPEndPoint)occupier.LocalEndPoint!).Port;

        var (code, _, error) = await InvokeAsync("serve", "echo", "--quiet", $"tcp://127.0.0.1:{port}");

        Assert.Equal(ExitCodes.ListenFailed, code);
        Assert.Equal($"sockcat: tcp://127.0.0.1:{port} is already in use; stop the other server or pick another port\n", error);
    }

    [Fact]
    public async Task ServeEcho_BadUrl_UsageError()
    {
        var (code, _, error) = await InvokeAsync("serve", "echo", "tcp://127.0.0.1");

        Assert.Equal(ExitCodes.Usage, code);
        Assert.StartsWith("sockcat: no port in 'tcp://127.0.0.1'", error);
        Assert.Single(error.TrimEnd('\n').Split('\n'));
    }

    [Fact]
    public async Task ServeEcho_MaxConnsOverFileLimit_SaysWhatToDo()
    {
        var (code, _, error) = await InvokeAsync("serve", "echo", "--max-conns", "100000000", "tcp://127.0.0.1:0");

        Assert.Equal(ExitCodes.Usage, code);
        Assert.Matches(@"^sockcat: --max-conns 100000000 needs more open files than the limit \(\d+\) allows; raise it \(ulimit -n, or LimitNOFILE= for a service\) or use --max-conns \d+ or fewer\n$", error);
    }

    [Fact]
    public async Task ServeEcho_Sigterm_DrainsPrintsSummaryExitsZero()
    {
        var info = new ProcessStartInfo("dotnet", [Path.Combine(AppContext.BaseDirectory, "SockCat.Cli.dll"), "serve", "echo", "--drain", "60", "tcp://127.0.0.1:0"])
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
        };
        using var process = Process.Start(info)!;
        try
        {
            using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(30));
            var stdout = process.StandardOutput.ReadToEndAsync(timeout.Token);
            string? line;
            var port = 0;
            while ((line = await process.StandardError.ReadLineAsync(timeout.Token)) is not null)
            {
                if (line.StartsWith("sockcat: listening on tcp://127.0.0.1:", StringComparison.Ordinal))
                {
                    port = int.Parse(line[(line.LastIndexOf(':') + 1)..]);
                    break;
                }
            }

            Assert.NotEqual(0, port);
            using var client = new TcpClient();
            await client.ConnectAsync(IPAddress.Loopback, port, timeout.Token);
            var stream = client.GetStream();
            await stream.WriteAsync("hello\n"u8.ToArray(), timeout.Token);
            var echo = new byte[6];
            await stream.ReadExactlyAsync(echo, timeout.Token);
            Assert.Equal("hello\n"u8.ToArray(), echo);

            Assert.Equal(0, Kill(process.Id, 15));
            // Draining: the open client is still served well past System.CommandLine's own 2 s termination cut-off. The drain
            // (60 s) outlasts the test's 30 s, so the exit below can only come from the last client leaving.
            await Task.Delay(2500, timeout.Token);
            Assert.False(process.HasExited);
            await stream.WriteAsync("again\n"u8.ToArray(), timeout.Token);
            await stream.ReadExactlyAsync(echo, timeout.Token);
            var clientPort = ((IPEndPoint)client.Client.LocalEndPoint!).Port;
            client.Close();

            var rest = await process.StandardError.ReadToEndAsync(timeout.Token);
            await process.WaitForExitAsync(timeout.Token);

            Assert.Equal(0, process.ExitCode);
            Assert.Matches(@"^sockcat: stopped after [\d.]+ s; served 1 connection, 12 B in, 12 B out$", rest.TrimEnd('\n').Split('\n')[^1]);
            Assert.Equal(
                $"Connection accepted from 127.0.0.1:{clientPort}\nNow there are total 1 clients.\nA client disconnected. Now there are total 0 clients.\n",
                await stdout);
        }
        finally
        {
            if (!process.HasExited)
            {
                process.Kill();
            }
        }
    }

    private static async Task<(int Code, string Output, string Error)> InvokeAsync(params string[] args)
    {
        var output = new StringWriter { NewLine = "\n" };
        var error = new StringWriter { NewLine = "\n" };
        var code = await SockCatCommand.InvokeAsync(args, new InvocationConfiguration { Output = output, Error = error }).WaitAsync(TimeSpan.FromSeconds(20));
        return (code, output.ToString(), error.ToString());
    }

    [LibraryImport("libc", EntryPoint = "kill", SetLastError = true)]
    private static partial int Kill(int pid, int signal);
}
