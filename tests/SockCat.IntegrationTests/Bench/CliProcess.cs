using System.Diagnostics;
using SockCat.IntegrationTests.Seed;

namespace SockCat.IntegrationTests.Bench;

/// <summary>Runs the built `sockcat` as its own process, as a user would, and collects its exit code and output.</summary>
internal static class CliProcess
{
    /// <summary>Runs `sockcat ARGS`; kills it if it has not exited within <paramref name="bound"/>.</summary>
    public static Task<(int Exit, string Stdout, string Stderr)> RunAsync(TimeSpan bound, params string[] args) =>
        RunAsync(bound, Process.Start, args);

    /// <summary>As <see cref="RunAsync(TimeSpan, string[])"/>, with the kernel refusing io_uring to `sockcat` (<see cref="WithoutIoUring"/>).</summary>
    public static Task<(int Exit, string Stdout, string Stderr)> RunWithoutIoUringAsync(TimeSpan bound, params string[] args) =>
        RunAsync(bound, WithoutIoUring.Start, args);

    private static async Task<(int Exit, string Stdout, string Stderr)> RunAsync(TimeSpan bound, Func<ProcessStartInfo, Process?> start, string[] args)
    {
        var psi = new ProcessStartInfo(SeedPaths.DotnetHost)
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
        };
        psi.ArgumentList.Add(SeedPaths.PeerDll("SockCat.Cli"));
        foreach (var a in args)
        {
            psi.ArgumentList.Add(a);
        }

        using var process = start(psi)!;
        using var cts = new CancellationTokenSource(bound);
        var stdout = process.StandardOutput.ReadToEndAsync(cts.Token);
        var stderr = process.StandardError.ReadToEndAsync(cts.Token);
        try
        {
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
