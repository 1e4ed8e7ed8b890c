using System.Diagnostics;
using System.Text;

namespace SockCat.Cli.Tests.Transfer;

/// <summary>Runs a real peer program (nc, CUPS' socket backend) to its end, with stdin given and its output read.</summary>
internal static class Peers
{
    public static async Task<(int ExitCode, string Stdout, string Stderr)> RunAsync(string program, string[] args, byte[]? stdin = null, IDictionary<string, string>? environment = null)
    {
        var info = new ProcessStartInfo(program, args)
        {
            RedirectStandardInput = true,
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
        };
        foreach (var (key, value) in environment ?? new Dictionary<string, string>())
        {
            info.Environment[key] = value;
        }

        using var process = Process.Start(info)!;
        using var cts = new CancellationTokenSource(CliRun.TestTimeout);
        var stdout = process.StandardOutput.ReadToEndAsync(cts.Token);
        var stderr = process.StandardError.ReadToEndAsync(cts.Token);
        try
        {
            if (stdin is not null)
            {
                await process.StandardInput.BaseStream.WriteAsync(stdin, cts.Token);
            }

            process.StandardInput.Close();
            await process.WaitForExitAsync(cts.Token);
        }
        finally
        {
            if (!process.HasExited)
            {
                process.Kill();
            }
        }

        return (process.ExitCode, await stdout, await stderr);
    }
}
