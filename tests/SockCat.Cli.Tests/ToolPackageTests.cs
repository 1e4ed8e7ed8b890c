using System.Diagnostics;

namespace SockCat.Cli.Tests;

/// <summary>The .NET tool package as a user installs it: packed from the build, installed into a tool path of its own, run.</summary>
public sealed class ToolPackageTests
{
#if DEBUG
    private const string Configuration = "Debug";
#else
    private const string Configuration = "Release";
#endif

    [Fact]
    public async Task Pack_InstallIntoToolPath_SockcatRunsFromThere()
    {
        var root = AppContext.BaseDirectory;
        while (!File.Exists(Path.Combine(root, "SockCat.slnx")))
        {
            root = Path.GetDirectoryName(root) ?? throw new InvalidOperationException("the repository root (SockCat.slnx) is not above the test's folder");
        }

        var work = Directory.CreateTempSubdirectory("sockcat-tool-");
        try
        {
            var artifacts = Path.Combine(work.FullName, "artifacts");
            var tools = Path.Combine(work.FullName, "tools");
            // --no-build: the package holds what the suite is testing, and other tests keep running the same build.
            await RunAsync("dotnet", "pack", Path.Combine(root, "src", "SockCat.Cli", "SockCat.Cli.csproj"), "-c", Configuration, "--no-build", "-o", artifacts, "-nologo");
            await RunAsync("dotnet", "tool", "install", "SockCat.Cli", "--tool-path", tools, "--add-source", artifacts);

            var version = await RunAsync(Path.Combine(tools, "sockcat"), "--version");
            var refused = await RunAsync(Path.Combine(tools, "sockcat"), ["probe", "127.0.0.1", LoopbackPortsUnused()], expectExit: 1);

            Assert.Matches(@"^\d+\.\d+\.\d+", version);
            Assert.Contains("closed: connection refused (ECONNREFUSED)", refused);
        }
        finally
        {
            work.Delete(recursive: true);
        }
    }

    private static string LoopbackPortsUnused() => SockCat.Testing.LoopbackPorts.Unused().ToString(System.Globalization.CultureInfo.InvariantCulture);

    private static Task<string> RunAsync(string file, params string[] args) => RunAsync(file, args, expectExit: 0);

    private static async Task<string> RunAsync(string file, string[] args, int expectExit)
    {
        var info = new ProcessStartInfo(file) { RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false };
        foreach (var arg in args)
        {
            info.ArgumentList.Add(arg);
        }

        // The tool installs from the package folder only: no network, and no user-wide NuGet settings in the way.
        info.Environment["DOTNET_CLI_TELEMETRY_OPTOUT"] = "1";
        using var process = Process.Start(info)!;
        using var timeout = new CancellationTokenSource(TimeSpan.FromMinutes(3));
        var stdout = process.StandardOutput.ReadToEndAsync(timeout.Token);
        var stderr = process.StandardError.ReadToEndAsync(timeout.Token);
        await process.WaitForExitAsync(timeout.Token);
        Assert.True(process.ExitCode == expectExit, $"{file} {string.Join(' ', args)} exited {process.ExitCode}: {await stderr}{await stdout}");
        return await stdout;
    }
}
