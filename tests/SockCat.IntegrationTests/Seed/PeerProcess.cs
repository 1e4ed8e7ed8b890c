using System.Diagnostics;
using System.Text;

namespace SockCat.IntegrationTests.Seed;

/// <summary>
/// A program the tests start (php, or `dotnet X.dll`): its stdout and stderr are captured byte for byte as they come,
/// every wait has a deadline, and Dispose kills it by its PID if it is still running.
/// </summary>
internal sealed class PeerProcess : IDisposable
{
    public static readonly TimeSpan DefaultTimeout = TimeSpan.FromSeconds(30);

    private readonly Process _process;
    private readonly MemoryStream _stdout = new();
    private readonly MemoryStream _stderr = new();
    private readonly Task _stdoutPump;
    private readonly Task _stderrPump;
    private readonly object _gate = new();
    private TaskCompletionSource _changed = new(TaskCreationOptions.RunContinuationsAsynchronously);

    private PeerProcess(Process process)
    {
        _process = process;
        _stdoutPump = PumpAsync(process.StandardOutput.BaseStream, _stdout);
        _stderrPump = PumpAsync(process.StandardError.BaseStream, _stderr);
    }

    public int Id => _process.Id;

    public string Description { get; private init; } = "";

    public string Stdout => Read(_stdout);

    public string Stderr => Read(_stderr);

    /// <summary>The complete lines written to stdout so far, without their "\n".</summary>
    public IReadOnlyList<string> StdoutLines
    {
        get
        {
            var text = Stdout;
            var end = text.LastIndexOf('\n');
            return end < 0 ? [] : text[..end].Split('\n');
        }
    }

    public static PeerProcess Start(string fileName, IEnumerable<string> arguments, bool redirectStdin = false)
    {
        var info = new ProcessStartInfo(fileName)
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            RedirectStandardInput = redirectStdin,
            UseShellExecute = false,
        };
        foreach (var argument in arguments)
        {
            info.ArgumentList.Add(argument);
        }

        var process = Process.Start(info) ?? throw new InvalidOperationException($"could not start {fileName}");
        return new PeerProcess(process) { Description = $"{fileName} {string.Join(' ', info.ArgumentList)}" };
    }

    /// <summary>Starts a .NET program of this repository (a project name) with the host that runs the tests.</summary>
    public static PeerProcess StartDotnet(string project, IEnumerable<string> arguments, bool redirectStdin = false) =>
        Start(SeedPaths.DotnetHost, [SeedPaths.PeerDll(project), .. arguments], redirectStdin);

    public static PeerProcess StartPhp(string script, IEnumerable<string> arguments) =>
        Start("php", [SeedPaths.PhpScript(script), .. arguments]);

    /// <summary>Writes <paramref name="bytes"/> to the program's stdin and closes it (end of input).</summary>
    public async Task WriteStdinAndCloseAsync(byte[] bytes)
    {
        var stdin = _process.StandardInput.BaseStream;
        await stdin.WriteAsync(bytes);
        await stdin.FlushAsync();
        _process.StandardInput.Close();
    }

    /// <summary>Waits for the program to exit and for its output to be read to the end; returns its exit code.</summary>
    public async Task<int> WaitForExitAsync(TimeSpan? timeout = null)
    {
        using var cts = new CancellationTokenSource(timeout ?? DefaultTimeout);
        try
        {
            await _process.WaitForExitAsync(cts.Token);
            await Task.WhenAll(_stdoutPump, _stderrPump).WaitAsync(cts.Token);
        }
        catch (OperationCanceledException)
        {
            throw new TimeoutException($"{Description} did not exit in time; stdout: {Stdout}; stderr: {Stderr}");
        }
        return _process.ExitCode;
    }

    /// <summary>Waits until stdout holds at least <paramref name="count"/> complete lines; returns them all.</summary>
    public Task<IReadOnlyList<string>> WaitForStdoutLinesAsync(int count, TimeSpan? timeout = null) =>
        WaitForAsync(() => StdoutLines is { } lines && lines.Count >= count ? lines : null, $"{count} lines on stdout", timeout);

    /// <summary>Waits until <paramref name="probe"/> returns a value, re-checking whenever output comes.</summary>
    public async Task<T> WaitForAsync<T>(Func<T?> probe, string what, TimeSpan? timeout = null)
        where T : class
    {
        var deadline = DateTime.UtcNow + (timeout ?? DefaultTimeout);
        while (true)
        {
            Task changed;
            lock (_gate)
            {
                changed = _changed.Task;
            }
            if (probe() is { } value)
            {
                return value;
            }
            var left = deadline - DateTime.UtcNow;
            var exited = _process.HasExited && _stdoutPump.IsCompleted && _stderrPump.IsCompleted;
            if (left <= TimeSpan.Zero || exited)
            {
                throw new TimeoutException(
                    $"{Description}: no {what} ({(exited ? "it exited" : "timed out")}); stdout: {Stdout}; stderr: {Stderr}");
            }
            await Task.WhenAny(changed, Task.Delay(left < TimeSpan.FromMilliseconds(200) ? left : TimeSpan.FromMilliseconds(200)));
        }
    }

    public bool HasExited => _process.HasExited;

    public void Dispose()
    {
        try
        {
            if (!_process.HasExited)
            {
                _process.Kill(entireProcessTree: true);
                _process.WaitForExit(5000);
            }
        }
        catch (InvalidOperationException)
        {
            // It exited between the check and the kill.
        }
        _process.Dispose();
    }

    private async Task PumpAsync(Stream source, MemoryStream sink)
    {
        var buffer = new byte[4096];
        int n;
        while ((n = await source.ReadAsync(buffer)) > 0)
        {
            lock (_gate)
            {
                sink.Write(buffer, 0, n);
                Signal();
            }
        }
        lock (_gate)
        {
            Signal();
        }
    }

    // Called under _gate: wakes every waiter, and the next ones wait on a fresh task.
    private void Signal()
    {
        var changed = _changed;
        _changed = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        changed.TrySetResult();
    }

    private string Read(MemoryStream stream)
    {
        lock (_gate)
        {
            return Encoding.UTF8.GetString(stream.GetBuffer(), 0, (int)stream.Length);
        }
    }
}
