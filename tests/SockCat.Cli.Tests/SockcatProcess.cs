using System.Diagnostics;

namespace SockCat.Cli.Tests;

/// <summary>Runs the built command (`dotnet SockCat.Cli.dll`, the `sockcat` apphost's assembly) as a real process with real pipes.</summary>
internal sealed class SockcatProcess : IAsyncDisposable
{
    private readonly Process _process;
    private readonly Task<byte[]> _stdout;

    private SockcatProcess(Process process)
    {
        _process = process;
        var buffer = new MemoryStream();
        _stdout = process.StandardOutput.BaseStream.CopyToAsync(buffer).ContinueWith(_ => buffer.ToArray(), TaskScheduler.Default);
    }

    public static string Dll => Path.Combine(AppContext.BaseDirectory, "SockCat.Cli.dll");

    public int Id => _process.Id;

    public Stream Stdin => _process.StandardInput.BaseStream;

    public StreamReader Stderr => _process.StandardError;

    /// <summary>Starts sockcat with <paramref name="args"/>, inside <paramref name="wrapper"/> (e.g. unshare) when given.</summary>
    public static SockcatProcess Start(string[] args, string[]? wrapper = null, IDictionary<string, string>? environment = null)
    {
        string[] command = [.. wrapper ?? [], "dotnet", Dll, .. args];
        var info = new ProcessStartInfo(command[0])
        {
            RedirectStandardInput = true,
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
        };
        foreach (var arg in command[1..])
        {
            info.ArgumentList.Add(arg);
        }

        info.Environment["DOTNET_NOLOGO"] = "1";
        foreach (var (key, value) in environment ?? new Dictionary<string, string>())
        {
            info.Environment[key] = value;
        }

        return new SockcatProcess(Process.Start(info)!);
    }

    /// <summary>Runs to the end with <paramref name="stdin"/> piped in; kills the process if it outlives the test's time limit.</summary>
    public static async Task<(int ExitCode, byte[] Stdout, string Stderr)> RunAsync(byte[] stdin, string[] args, string[]? wrapper = null, IDictionary<string, string>? environment = null)
    {
        await using var process = Start(args, wrapper, environment);
        try
        {
            await process.Stdin.WriteAsync(stdin);
            process.Stdin.Close();
        }
        catch (IOException)
        {
            // sockcat stopped reading stdin before its end: the result shows what it made of that.
        }

        return await process.WaitAsync();
    }

    public async Task<(int ExitCode, byte[] Stdout, string Stderr)> WaitAsync()
    {
        using var cts = new CancellationTokenSource(CliRun.TestTimeout);
        var stderr = _process.StandardError.ReadToEndAsync(cts.Token);
        await _process.WaitForExitAsync(cts.Token);
        return (_process.ExitCode, await _stdout.WaitAsync(cts.Token), await stderr);
    }

    public ValueTask DisposeAsync()
    {
        if (!_process.HasExited)
        {
            _process.Kill(entireProcessTree: true);
        }

        _process.Dispose();
        return ValueTask.CompletedTask;
    }
}
