using System.Diagnostics;
using System.Text;

namespace SockCat.IntegrationTests.Services.Chat;

/// <summary>
/// A virtual X display (Debian's Xvfb) for a graphical client under test. Xvfb picks a free display number itself and
/// writes it to its standard output once it accepts clients (<c>-displayfd</c>): no number is guessed, no start-up
/// slept on, and runs beside other displays on the machine never collide. Dispose ends it by its PID.
/// </summary>
internal sealed class XvfbDisplay : IAsyncDisposable
{
    private readonly Process _process;
    private readonly StringBuilder _stderr;

    private XvfbDisplay(Process process, StringBuilder stderr, string name)
    {
        _process = process;
        _stderr = stderr;
        Name = name;
    }

    /// <summary>The display for <c>DISPLAY</c>: <c>:N</c>.</summary>
    public string Name { get; }

    public static async Task<XvfbDisplay> StartAsync()
    {
        var info = new ProcessStartInfo("Xvfb")
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
        };
        foreach (var argument in new[] { "-displayfd", "1", "-screen", "0", "1024x768x24", "-nolisten", "tcp" })
        {
            info.ArgumentList.Add(argument);
        }

        var process = Process.Start(info)!;
        var stderr = new StringBuilder();
        process.ErrorDataReceived += (_, e) => { lock (stderr) { stderr.AppendLine(e.Data); } };
        process.BeginErrorReadLine();
        string? number;
        try
        {
            using var deadline = new CancellationTokenSource(ChatLineClient.Deadline);
            number = await process.StandardOutput.ReadLineAsync(deadline.Token);
        }
        catch (OperationCanceledException)
        {
            number = null;
        }

        if (string.IsNullOrWhiteSpace(number))
        {
            End(process);
            process.Dispose();
            throw new Xunit.Sdk.XunitException($"Xvfb gave no display number within {ChatLineClient.Deadline.TotalSeconds} s:\n{Text(stderr)}");
        }

        return new XvfbDisplay(process, stderr, ":" + number.Trim());
    }

    /// <summary>What Xvfb wrote to stderr, for failure messages.</summary>
    public string Stderr => Text(_stderr);

    public async ValueTask DisposeAsync()
    {
        End(_process);
        await _process.WaitForExitAsync();
        _process.Dispose();
    }

    private static void End(Process process)
    {
        if (!process.HasExited)
        {
            process.Kill();
        }
    }

    private static string Text(StringBuilder builder)
    {
        lock (builder)
        {
            return builder.ToString();
        }
    }
}
